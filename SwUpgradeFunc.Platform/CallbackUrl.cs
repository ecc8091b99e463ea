using System.Globalization;

namespace SwUpgradeFunc.Platform;

/// <summary>Checks a callback URL before it is sent to the platform.</summary>
public static class CallbackUrl
{
    /// <summary>The path the platform's own receiver serves; used when the URL names none.</summary>
    public const string DefaultPath = "/v1.0.0/messageReceiver";

    /// <summary>The longest callback URL the platform accepts.</summary>
    public const int MaxLength = 1024;

    /// <summary>
    /// Returns the callback URL in the form that is sent: absolute, with an explicit port and a path
    /// (<see cref="DefaultPath"/> when the URL has none). Throws <see cref="InvalidCallbackUrlException"/> otherwise.
    /// </summary>
    public static string Normalize(string? url, bool allowHttp = false)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new InvalidCallbackUrlException("The callback URL is empty. Pass the deployed function's URL, e.g. https://myapp.azurewebsites.net:443/v1.0.0/messageReceiver.");
        }

        url = url.Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.IsFile || uri.IsUnc)
        {
            throw new InvalidCallbackUrlException($"The callback URL '{url}' is not an absolute URL. Use the form https://host:port/path.");
        }

        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            if (!allowHttp)
            {
                throw new InvalidCallbackUrlException($"The callback URL '{url}' uses http: the platform would push notifications unencrypted.")
                {
                    Fix = PlatformFix.CallbackUrlScheme,
                };
            }
        }
        else if (uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidCallbackUrlException($"The callback URL '{url}' has the scheme '{uri.Scheme}'; only https, or http where explicitly allowed, is accepted.")
            {
                Fix = PlatformFix.CallbackUrlScheme,
            };
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new InvalidCallbackUrlException($"The callback URL '{url}' has no host.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new InvalidCallbackUrlException($"The callback URL must not contain user information.");
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            throw new InvalidCallbackUrlException($"The callback URL '{url}' must not contain a fragment ('#...').");
        }

        var path = uri.AbsolutePath;
        if (string.IsNullOrEmpty(path) || path == "/")
        {
            path = DefaultPath;
        }

        var normalized = string.Create(
            CultureInfo.InvariantCulture,
            $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}{path}{uri.Query}");
        if (uri.HostNameType == UriHostNameType.IPv6)
        {
            normalized = string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://[{uri.IdnHost.Trim('[', ']')}]:{uri.Port}{path}{uri.Query}");
        }

        if (normalized.Length > MaxLength)
        {
            throw new InvalidCallbackUrlException($"The callback URL is {normalized.Length} characters long; the platform accepts at most {MaxLength}.");
        }

        return normalized;
    }

    /// <summary>Whether a stored callback URL is the same as <paramref name="normalized"/> once normalised (http allowed).</summary>
    public static bool SameUrl(string? stored, string normalized)
    {
        if (stored is null)
        {
            return false;
        }

        try
        {
            return string.Equals(Normalize(stored, allowHttp: true), normalized, StringComparison.Ordinal);
        }
        catch (InvalidCallbackUrlException)
        {
            return string.Equals(stored, normalized, StringComparison.Ordinal);
        }
    }
}
