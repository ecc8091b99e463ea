using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Http;

/// <summary>
/// An id taken from a route is held to the receiver's rules for a push's ids, so that the API never reads or queues
/// under an id no push can carry: a longer one would only fail later, at the table, after the 202 (key size limit).
/// Characters a table key may not hold need no check here: the store escapes them (<c>StorageKeys.Escape</c>).
/// </summary>
/// <remarks>
/// The receiver takes ids holding '/', so the page and the CLI send them as %2F; the host decodes every other escape
/// of the path but leaves %2F as it is (a decoded '/' would split the segment), so the route value still holds it.
/// Only %2F is decoded here: unescaping everything again would turn an id's own '%41' (sent as %2541) into 'A'.
/// An id whose own text is "%2F" cannot be told from one holding '/'; the first is the one lost.
/// </remarks>
public static class RouteIds
{
    /// <summary>The id, %2F decoded, when it is one the receiver would take; otherwise null, with a problem naming <paramref name="field"/>.</summary>
    public static string? Check(string value, string field, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        value = value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new FieldError(field, "must not be empty or whitespace"));
            return null;
        }

        if (value.Length > NotificationParser.MaxIdentifierLength)
        {
            errors.Add(new FieldError(field, $"is longer than {NotificationParser.MaxIdentifierLength} characters"));
            return null;
        }

        return value;
    }
}
