using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The continuation token of a task query is not one this API issued for that task.</summary>
public sealed class InvalidContinuationTokenException(string message) : FormatException(message);

/// <summary>
/// The status API's continuation tokens: where the next page starts (a segment, i.e. a bucket and key range, and the
/// row key after which it goes on) and what the token belongs to, so that a token passed to another task, route or filter is refused
/// rather than read as a position in it.
/// </summary>
internal static class ContinuationTokens
{
    /// <summary>
    /// Version 4: a list's position is a segment and the last row key read in it (version 3 held the table's own token there,
    /// version 2 counted buckets, with other index rows). The task list's position is still the table's token.
    /// </summary>
    private const string TokenVersion = "4";

    /// <summary>What a token is bound to: the route, the task, the filter and the stalled threshold.</summary>
    public static string Scope(string route, string operationId, SubTaskFilter filter, TimeSpan stalledAfter) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{route}\n{operationId}\n{filter.ScopeKey}\n{stalledAfter.Ticks.ToString(CultureInfo.InvariantCulture)}")))[..24];

    public static string Format(string scope, int segment, string? position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{TokenVersion}\n{scope}\n{segment.ToString(CultureInfo.InvariantCulture)}\n{position}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The segment and the position in it a token resumes at; the start for none.</summary>
    /// <exception cref="InvalidContinuationTokenException">Not a token of this scope, or a segment outside <paramref name="segments"/>.</exception>
    public static (int Segment, string? Position) Parse(string scope, string? token, int segments)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (0, null);
        }

        string[] parts;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('\n');
        }
        catch (FormatException)
        {
            throw new InvalidContinuationTokenException("The continuation token is not valid.");
        }

        if (parts.Length != 4 || parts[0] != TokenVersion ||
            !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var segment) ||
            segment < 0 || segment >= segments)
        {
            throw new InvalidContinuationTokenException("The continuation token is not valid.");
        }

        if (parts[1] != scope)
        {
            throw new InvalidContinuationTokenException(
                "The continuation token belongs to another upgrade task, route or filter: pass it back unchanged with the query it came from.");
        }

        return (segment, parts[3].Length == 0 ? null : parts[3]);
    }
}
