using System.Globalization;
using System.Text.Json;

namespace SwUpgradeFunc.Platform;

/// <summary>The platform's error codes, and the typed exception each one becomes.</summary>
public static class PlatformErrors
{
    public const string WrongCredentials = "100208";
    public const string AppFrozen = "100247";
    public const string MissingParameter = "102202";
    public const string ServerError = "50252";
    public const string CallbackUrlIllegal = "100222";
    public const string InvalidInput = "100228";
    public const string AppDoesNotExist = "100203";
    public const string Throttled = "1010009";
    public const string InvalidToken = "1010005";
    public const string AlreadySubscribed = "100227";
    public const string AppNotAuthorized = "100217";

    /// <summary>Reads <c>{error_code, error_desc}</c> from an error body; tolerant of anything else.</summary>
    public static (string? Code, string? Description) Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            return (Read(doc.RootElement, "error_code"), Read(doc.RootElement, "error_desc"));
        }
        catch (JsonException)
        {
            return (null, null);
        }

        static string? Read(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value)
                ? value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Number => value.GetRawText(),
                    _ => null,
                }
                : null;
    }

    /// <summary>The platform still throttled after every try (retries included).</summary>
    public static PlatformThrottledException StillThrottled(int status, string? code, string? description, string operation, int tries, TimeSpan elapsed)
    {
        var said = Said(status, code, description);
        return new PlatformThrottledException(status, code, description, string.Create(
            CultureInfo.InvariantCulture,
            $"{operation} failed: the platform was still throttled after {tries} tries over {elapsed.TotalSeconds:0} s ({said}). It allows 100 application calls per minute: wait a minute and try again."));
    }

    /// <summary>100227 with what the list shows: the URL(s) that hold the notify type now.</summary>
    public static AlreadySubscribedException AlreadySubscribedElsewhere(PlatformApiException conflict, string operation, string notifyType, string callbackUrl, IReadOnlyList<string> holders)
    {
        ArgumentNullException.ThrowIfNull(conflict);
        ArgumentNullException.ThrowIfNull(holders);
        var said = Said(conflict.HttpStatus, conflict.ErrorCode, conflict.ErrorDescription);
        var now = holders.Count switch
        {
            0 => $"{notifyType} is already subscribed, to a URL the subscription list does not show",
            1 => $"{notifyType} is already subscribed to {holders[0]}",
            _ => $"{notifyType} is already subscribed to {string.Join(" and ", holders)}",
        };
        return new AlreadySubscribedException(conflict.HttpStatus, conflict.ErrorCode, conflict.ErrorDescription,
            $"{operation} to {callbackUrl} failed ({said}): {now}.")
        {
            Fix = PlatformFix.ExistingSubscription,
            NotifyType = notifyType,
            Holders = [.. holders],
        };
    }

    private static string Said(int status, string? code, string? description) => string.Create(
        CultureInfo.InvariantCulture,
        $"HTTP {status}{(code is null ? string.Empty : ", error " + code)}{(string.IsNullOrEmpty(description) ? string.Empty : ": " + description.TrimEnd('.'))}");

    /// <summary>Builds the exception for an error answer. <paramref name="operation"/> names what was attempted.</summary>
    public static PlatformApiException ToException(int status, string? code, string? description, string operation, string? callbackUrl = null)
    {
        var said = Said(status, code, description);
        string Msg(string advice) => $"{operation} failed ({said}). {advice}";

        return code switch
        {
            WrongCredentials => new PlatformAuthenticationException(status, code, description, Msg(
                "The platform rejected the appId or secret."))
            { Fix = PlatformFix.AppIdAndSecret },
            AppFrozen => new PlatformAuthenticationException(status, code, description, Msg(
                "The application is frozen on the platform: ask the platform administrator to unfreeze it.")),
            AppDoesNotExist => new PlatformAuthenticationException(status, code, description, Msg(
                "The platform does not know this application."))
            { Fix = PlatformFix.AppId },
            InvalidToken => new PlatformAuthenticationException(status, code, description, Msg(
                "The platform rejected the access token even after a fresh login: the appId may be wrong, or another client logs in with the same application at the same time (only the newest token is valid)."))
            { Fix = PlatformFix.AppId },
            AppNotAuthorized => new PlatformAuthenticationException(status, code, description, Msg(
                "The application is not authorized for this API: ask the platform administrator to grant it.")),
            Throttled => new PlatformThrottledException(status, code, description, Msg(
                "The platform allows 100 application calls per minute and kept throttling after back-off: wait a minute and try again.")),
            CallbackUrlIllegal => new CallbackUrlRejectedException(status, code, description, Msg(
                $"The platform rejected the callback URL{(callbackUrl is null ? string.Empty : " '" + callbackUrl + "'")}: it must be https://host:port/path, reachable from the platform, and all subscriptions of one application must use the same host and port.")),
            AlreadySubscribed => new AlreadySubscribedException(status, code, description, Msg(
                "The notify type is already subscribed."))
            { Fix = PlatformFix.ExistingSubscription },
            InvalidInput or MissingParameter => new PlatformApiException(status, code, description, Msg(
                "The platform rejected the request as invalid: check the notify type and callback URL.")),
            _ when status == 401 => new PlatformAuthenticationException(status, code, description, Msg(
                "The platform rejected the credentials."))
            { Fix = PlatformFix.AppIdAndSecret },
            _ when status == 404 => new PlatformApiException(status, code, description, Msg(
                "Nothing was found."))
            { Fix = PlatformFix.SubscriptionId },
            _ when status >= 500 => new PlatformApiException(status, code, description, Msg(
                "The platform had an internal error: try again later.")),
            _ => new PlatformApiException(status, code, description, Msg(
                "See the platform's error description.")),
        };
    }
}
