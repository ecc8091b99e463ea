using System.Net;

namespace SwUpgrade.Cli.Simulation;

/// <summary>
/// The simulator produces platform-sized load, so by default it only talks to this machine: a target is accepted when
/// its host is <c>localhost</c> or a loopback address. Names are not resolved (a name that resolves to loopback today
/// may not tomorrow); anything else needs <c>--allow-remote</c>.
/// </summary>
public static class TargetPolicy
{
    public static bool IsLoopback(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Null when the URL may be used, else a sentence saying why not.</summary>
    public static string? Check(Uri uri, bool allowRemote, string option)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return $"{option} must be an absolute http or https URL.";
        }

        if (!allowRemote && !IsLoopback(uri))
        {
            return $"{option} {uri.GetLeftPart(UriPartial.Authority)} is not on this machine (localhost, 127.0.0.0/8 or ::1); " +
                   "pass --allow-remote to load another host.";
        }

        return null;
    }
}
