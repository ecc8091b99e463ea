using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>
/// The app's one platform client, the CLI's own class (same login, token reuse, back-off and TLS rules), created on first
/// use when the Platform settings are complete. Reconciliation is its only user, so the app's calls are all counted there.
/// </summary>
public sealed partial class PlatformClientProvider(IOptions<PlatformOptions> options, TimeProvider time, ILogger<PlatformClientProvider> logger)
    : IDisposable
{
    private readonly Lock _gate = new();
    private HuaweiIotPlatformClient? _client;
    private bool _decided;

    public string AppId => options.Value.AppId ?? "";

    /// <summary>The client, or null when the settings are missing or unusable (said once in the log).</summary>
    public HuaweiIotPlatformClient? Client
    {
        get
        {
            lock (_gate)
            {
                if (_decided)
                {
                    return _client;
                }

                _decided = true;
                var settings = options.Value;
                var missing = settings.Missing();
                if (missing.Count > 0)
                {
                    LogOff(string.Join(", ", missing));
                    return null;
                }

                if (!Uri.TryCreate(settings.BaseUrl, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
                {
                    LogUnusable($"{PlatformAdvice.BaseUrlSetting} must be an absolute https URL, e.g. https://platform.example.com:8743");
                    return null;
                }

                try
                {
                    var clientOptions = new PlatformClientOptions
                    {
                        BaseUrl = url,
                        AppId = settings.AppId!,
                        Secret = settings.AppSecret!,
                        CaFile = string.IsNullOrWhiteSpace(settings.CaFile) ? null : settings.CaFile,
                    };
                    settings.Customize?.Invoke(clientOptions);
                    _client = new HuaweiIotPlatformClient(clientOptions, time);
                }
                catch (PlatformConfigurationException ex)
                {
                    // The advice names the app's setting; neither it nor the message ever holds the secret.
                    LogUnusable(PlatformAdvice.Describe(ex));
                }

                return _client;
            }
        }
    }

    public void Dispose() => _client?.Dispose();

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning,
        Message = "Reconciliation with the platform is off: {MissingSettings} not set")]
    private partial void LogOff(string missingSettings);

    [LoggerMessage(EventId = 41, Level = LogLevel.Error,
        Message = "Reconciliation with the platform is off: the Platform settings are not usable: {Reason}")]
    private partial void LogUnusable(string reason);
}
