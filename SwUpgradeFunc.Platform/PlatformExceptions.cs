namespace SwUpgradeFunc.Platform;

/// <summary>
/// What a caller should change to get past a failure. The library's messages say what failed in neutral words; the CLI and
/// the function app read settings under different names, so each turns this hint into advice in its own names.
/// </summary>
public enum PlatformFix
{
    /// <summary>The platform's base URL (missing, not https, or the platform cannot be reached there).</summary>
    PlatformUrl,

    /// <summary>The application id.</summary>
    AppId,

    /// <summary>The application secret.</summary>
    AppSecret,

    /// <summary>The application id or the secret: the platform does not say which one it rejected.</summary>
    AppIdAndSecret,

    /// <summary>The CA file that the platform's server certificate must chain to.</summary>
    CaFile,

    /// <summary>The client certificate (PKCS#12 file and its password).</summary>
    ClientCertificate,

    /// <summary>The callback URL's scheme: https, or http only when explicitly allowed.</summary>
    CallbackUrlScheme,

    /// <summary>An existing subscription holds the notify type; see <see cref="AlreadySubscribedException"/> for which.</summary>
    ExistingSubscription,

    /// <summary>The subscription id given to a delete.</summary>
    SubscriptionId,
}

/// <summary>Base of every failure the platform client reports. Messages never contain secrets.</summary>
public class PlatformException : Exception
{
    public PlatformException()
    {
    }

    public PlatformException(string message)
        : base(message)
    {
    }

    public PlatformException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The setting or input to change, when the failure points at one; null when there is nothing of the caller's to fix.</summary>
    public PlatformFix? Fix { get; init; }

    /// <summary>The message followed by the caller's advice, which names the caller's own settings; the message alone without advice.</summary>
    public string MessageWith(string? advice) => advice is null ? Message : Message + " " + advice;
}

/// <summary>The callback URL failed the local checks; nothing was sent.</summary>
public sealed class InvalidCallbackUrlException : PlatformException
{
    public InvalidCallbackUrlException()
    {
    }

    public InvalidCallbackUrlException(string message)
        : base(message)
    {
    }

    public InvalidCallbackUrlException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The TLS handshake with the platform failed (untrusted or mismatched server certificate, client certificate refused).</summary>
public sealed class PlatformTlsException : PlatformException
{
    public PlatformTlsException()
    {
    }

    public PlatformTlsException(string message)
        : base(message)
    {
    }

    public PlatformTlsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The platform could not be reached (DNS, connection refused, timeout).</summary>
public sealed class PlatformUnreachableException : PlatformException
{
    public PlatformUnreachableException()
    {
    }

    public PlatformUnreachableException(string message)
        : base(message)
    {
    }

    public PlatformUnreachableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The platform answered with an error (<c>{error_code, error_desc}</c>).</summary>
public class PlatformApiException : PlatformException
{
    public PlatformApiException()
    {
    }

    public PlatformApiException(string message)
        : base(message)
    {
    }

    public PlatformApiException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public PlatformApiException(int httpStatus, string? errorCode, string? errorDescription, string message)
        : base(message)
    {
        HttpStatus = httpStatus;
        ErrorCode = errorCode;
        ErrorDescription = errorDescription;
    }

    /// <summary>The HTTP status code of the answer.</summary>
    public int HttpStatus { get; }

    /// <summary>The platform's <c>error_code</c>, when the answer had one.</summary>
    public string? ErrorCode { get; }

    /// <summary>The platform's <c>error_desc</c>, when the answer had one.</summary>
    public string? ErrorDescription { get; }
}

/// <summary>The platform rejected the application's credentials or token (100208, 100247, 1010005, 100203, 100217).</summary>
public sealed class PlatformAuthenticationException : PlatformApiException
{
    public PlatformAuthenticationException()
    {
    }

    public PlatformAuthenticationException(string message)
        : base(message)
    {
    }

    public PlatformAuthenticationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public PlatformAuthenticationException(int httpStatus, string? errorCode, string? errorDescription, string message)
        : base(httpStatus, errorCode, errorDescription, message)
    {
    }
}

/// <summary>The platform kept throttling (1010009) after all back-off retries.</summary>
public sealed class PlatformThrottledException : PlatformApiException
{
    public PlatformThrottledException()
    {
    }

    public PlatformThrottledException(string message)
        : base(message)
    {
    }

    public PlatformThrottledException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public PlatformThrottledException(int httpStatus, string? errorCode, string? errorDescription, string message)
        : base(httpStatus, errorCode, errorDescription, message)
    {
    }
}

/// <summary>The platform rejected the callback URL (100222).</summary>
public sealed class CallbackUrlRejectedException : PlatformApiException
{
    public CallbackUrlRejectedException()
    {
    }

    public CallbackUrlRejectedException(string message)
        : base(message)
    {
    }

    public CallbackUrlRejectedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public CallbackUrlRejectedException(int httpStatus, string? errorCode, string? errorDescription, string message)
        : base(httpStatus, errorCode, errorDescription, message)
    {
    }
}

/// <summary>The notify type is already subscribed (100227), and not to the requested callback URL.</summary>
public sealed class AlreadySubscribedException : PlatformApiException
{
    public AlreadySubscribedException()
    {
    }

    public AlreadySubscribedException(string message)
        : base(message)
    {
    }

    public AlreadySubscribedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public AlreadySubscribedException(int httpStatus, string? errorCode, string? errorDescription, string message)
        : base(httpStatus, errorCode, errorDescription, message)
    {
    }

    /// <summary>The notify type that is taken, when known.</summary>
    public string? NotifyType { get; init; }

    /// <summary>The callback URLs the subscription list shows for <see cref="NotifyType"/>; empty when not looked up or not shown.</summary>
    public IReadOnlyList<string> Holders { get; init; } = [];
}

/// <summary>A local setting is missing or unusable (CA file, client certificate, base URL); nothing was sent.</summary>
public sealed class PlatformConfigurationException : PlatformException
{
    public PlatformConfigurationException()
    {
    }

    public PlatformConfigurationException(string message)
        : base(message)
    {
    }

    public PlatformConfigurationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
