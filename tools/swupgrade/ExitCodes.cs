namespace SwUpgrade.Cli;

/// <summary>The exit codes of <c>swupgrade</c> (documented in the README's operator section).</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected internal error.</summary>
    public const int InternalError = 1;

    /// <summary>Bad arguments or settings: missing/invalid option, callback URL, CA file or client certificate.</summary>
    public const int BadArguments = 2;

    /// <summary>The platform rejected the credentials (appId/secret, token, application frozen or not authorized).</summary>
    public const int CredentialsRejected = 3;

    /// <summary>The TLS handshake failed (server certificate not trusted, client certificate refused).</summary>
    public const int TlsFailure = 4;

    /// <summary>The platform answered with another error (callback URL rejected, throttled, already subscribed, ...).</summary>
    public const int PlatformError = 5;

    /// <summary>The platform could not be reached (DNS, connection refused, timeout).</summary>
    public const int Unreachable = 6;

    /// <summary><c>reconcile</c>: the platform and the status API differ (without --repair), or some differences cannot be repaired.</summary>
    public const int DifferencesFound = 9;

    /// <summary><c>reconcile</c>: the status API could not be read or refused the repair.</summary>
    public const int StatusApiFailed = 10;

    /// <summary>Cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
