using SwUpgrade.Cli.Simulation;

namespace SwUpgrade.Cli.Commands;

/// <summary>The function app's base URL, as the commands that read the status API take it.</summary>
public static class StatusApiAddress
{
    /// <summary>The base URL with a trailing slash, so that relative routes resolve under it.</summary>
    /// <exception cref="UsageException">Missing, not absolute, not http(s), or http to another host than this one.</exception>
    public static Uri Parse(string? statusUrl, string envName)
    {
        if (string.IsNullOrWhiteSpace(statusUrl))
        {
            throw new UsageException($"Missing the status API URL (--status-url or {envName}), e.g. https://myapp.azurewebsites.net.");
        }

        if (!Uri.TryCreate(statusUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new UsageException($"--status-url '{statusUrl}' is not an absolute https URL.");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !TargetPolicy.IsLoopback(uri))
        {
            throw new UsageException($"--status-url '{statusUrl}' uses http: the function key would travel unencrypted. Use https (http is accepted for localhost only).");
        }

        var text = uri.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }
}
