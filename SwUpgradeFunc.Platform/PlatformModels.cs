using System.Text.Json.Serialization;

namespace SwUpgradeFunc.Platform;

/// <summary>One subscription as the platform lists it.</summary>
public sealed record Subscription
{
    [JsonPropertyName("subscriptionId")]
    public string? SubscriptionId { get; init; }

    [JsonPropertyName("notifyType")]
    public string? NotifyType { get; init; }

    [JsonPropertyName("callbackUrl")]
    public string? CallbackUrl { get; init; }

    [JsonPropertyName("appId")]
    public string? AppId { get; init; }

    [JsonPropertyName("channel")]
    public string? Channel { get; init; }
}

/// <summary>One page of the subscription list.</summary>
public sealed record SubscriptionPage
{
    [JsonPropertyName("totalCount")]
    public long TotalCount { get; init; }

    [JsonPropertyName("pageNo")]
    public int PageNo { get; init; }

    [JsonPropertyName("pageSize")]
    public int PageSize { get; init; }

    [JsonPropertyName("subscriptions")]
    public IReadOnlyList<Subscription> Subscriptions { get; init; } = [];
}

/// <summary>How a subscribe call ended.</summary>
public enum SubscribeOutcome
{
    /// <summary>The platform accepted the subscription (management data answers 200 even when it existed).</summary>
    Subscribed,

    /// <summary>The same notify type was already subscribed to the same callback URL (100227): nothing to do.</summary>
    AlreadySubscribed,
}

/// <summary>The result of subscribing one notify type.</summary>
/// <param name="NotifyType">The notify type.</param>
/// <param name="CallbackUrl">The callback URL as it was sent.</param>
/// <param name="SubscriptionId">The id the service-data API returned; the management-data API returns none.</param>
/// <param name="Outcome">Whether it was new or already there.</param>
/// <param name="Api">"management" or "service".</param>
public sealed record SubscribeResult(string NotifyType, string CallbackUrl, string? SubscriptionId, SubscribeOutcome Outcome, string Api);

/// <summary>What a delete by notify type did.</summary>
/// <param name="NotifyType">The notify type.</param>
/// <param name="CallbackUrl">The callback URL it was limited to, normalised; null for all.</param>
/// <param name="Removed">How many of the subscriptions listed before the delete are gone after it.</param>
/// <param name="Remaining">How many matching subscriptions are still listed after it.</param>
public sealed record DeleteResult(string NotifyType, string? CallbackUrl, int Removed, int Remaining);

internal sealed record TokenResponse
{
    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    [JsonPropertyName("tokenType")]
    public string? TokenType { get; init; }

    [JsonPropertyName("expiresIn")]
    public long ExpiresIn { get; init; }

    [JsonPropertyName("accessToken")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("refreshToken")]
    public string? RefreshToken { get; init; }
}
