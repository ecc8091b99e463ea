namespace SwUpgrade.Cli;

/// <summary>The exit codes of <c>swupgrade</c> (documented in docs/swupgrade.md and in the root --help).</summary>
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

    /// <summary><c>simulate</c>: some pushes were not answered 200, or not sent within the maximum duration.</summary>
    public const int PushesFailed = 7;

    /// <summary><c>simulate --verify</c>: some devices did not reach their final phase, or the status API could not be read.</summary>
    public const int VerificationFailed = 8;

    /// <summary><c>reconcile</c>: the platform and the status API differ (without --repair), or some differences cannot be repaired.</summary>
    public const int DifferencesFound = 9;

    /// <summary><c>reconcile</c>, <c>tasks</c>: the status API could not be read (or has no such task), or refused the request.</summary>
    public const int StatusApiFailed = 10;

    /// <summary>Cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>Every exit code with its meaning, for the help text.</summary>
    public const string Summary =
        "0 done, 1 internal error, 2 bad arguments or settings, 3 credentials rejected, 4 TLS failure (server or client "
        + "certificate), 5 platform error (including still throttled after the retries), 6 platform unreachable, "
        + "7 simulate: pushes not answered 200, 8 simulate --verify: verification failed, 9 reconcile: differences found, "
        + "10 reconcile, tasks: status API failed, 130 cancelled (Ctrl+C)";
}
