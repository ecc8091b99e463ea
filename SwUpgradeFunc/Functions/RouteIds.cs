using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// An id taken from a route is held to the receiver's rules for a push's ids, so that the API never reads or queues
/// under an id no push can carry: a longer one would only fail later, at the table, after the 202 (key size limit).
/// Characters a table key may not hold need no check here: the store escapes them (<c>StorageKeys.Escape</c>).
/// </summary>
public static class RouteIds
{
    /// <summary>The id when it is one the receiver would take; otherwise null, with a problem naming <paramref name="field"/>.</summary>
    public static string? Check(string value, string field, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
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
