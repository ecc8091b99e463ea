namespace SwUpgradeFunc.Platform;

/// <summary>Settings of <see cref="HuaweiIotPlatformClient"/>. The secret and password are never printed or logged.</summary>
public sealed class PlatformClientOptions
{
    /// <summary>The platform's northbound base URL, e.g. https://host:8743. Must be https.</summary>
    public Uri? BaseUrl { get; set; }

    public string AppId { get; set; } = string.Empty;

    public string Secret { get; set; } = string.Empty;

    /// <summary>Optional PEM or DER file with extra CA certificates to trust for the platform's server certificate.</summary>
    public string? CaFile { get; set; }

    /// <summary>Optional PKCS#12 file with the client certificate and its key, presented in the TLS handshake.</summary>
    public string? ClientCertificateFile { get; set; }

    public string? ClientCertificatePassword { get; set; }

    /// <summary>How long before <c>expiresIn</c> a token is renewed. Default 5 minutes (at most half the lifetime).</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a refresh token stays valid after it was issued. The platform documents 24 hours.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Retries after the platform throttles (1010009, 429) or is briefly unavailable (502-504).</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>The first back-off delay; it doubles per retry (±20 % jitter). 100 calls per minute: default 5 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait before one retry, also for a <c>Retry-After</c> that asks for more. Default 2 minutes.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Timeout of one HTTP attempt (the back-off between attempts is not counted).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Page size used to list subscriptions.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Receives progress notes (e.g. throttling back-off). Never receives secrets.</summary>
    public Action<string>? Diagnostics { get; set; }
}
