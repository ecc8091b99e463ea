using System.Text.Json;
using System.Text.Json.Serialization;

namespace SwUpgradeFunc.Notifications;

/// <summary>
/// What the receiver puts on the notifications queue: the normalised push plus what only the receiver knows
/// (when it arrived, a unique id that lets the processor tell a queue redelivery from a platform re-push).
/// </summary>
public sealed record NotificationEnvelope
{
    /// <summary>Bumped on any change a processor of the previous version could not read.</summary>
    public const int CurrentSchemaVersion = 1;

    public required int SchemaVersion { get; init; }

    public required string Id { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required string NotifyType { get; init; }

    public required UpgradeNotification Notification { get; init; }

    public static NotificationEnvelope Create(UpgradeNotification notification, DateTimeOffset receivedAt) => new()
    {
        SchemaVersion = CurrentSchemaVersion,
        Id = Guid.NewGuid().ToString("N"),
        ReceivedAt = receivedAt.ToUniversalTime(),
        NotifyType = notification.NotifyType,
        Notification = notification,
    };

    public BinaryData ToBinaryData() =>
        BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(this, EnvelopeJsonContext.Default.NotificationEnvelope));

    /// <summary>Reads a queue message body; the reason says why it cannot be read.</summary>
    public static bool TryParse(string message, out NotificationEnvelope? envelope, out string? reason)
    {
        envelope = null;
        try
        {
            using var document = JsonDocument.Parse(message);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                reason = "the message is not a JSON object";
                return false;
            }

            if (!document.RootElement.TryGetProperty("schemaVersion", out var version) ||
                version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var schemaVersion))
            {
                reason = "the message has no numeric schemaVersion";
                return false;
            }

            if (schemaVersion != CurrentSchemaVersion)
            {
                reason = $"schemaVersion {schemaVersion} is not supported (this processor reads {CurrentSchemaVersion})";
                return false;
            }

            envelope = document.RootElement.Deserialize(EnvelopeJsonContext.Default.NotificationEnvelope);
        }
        catch (JsonException ex)
        {
            reason = $"the message is not a valid envelope: {ex.Message}";
            return false;
        }

        var notification = envelope?.Notification;
        if (envelope is null || notification is null || string.IsNullOrWhiteSpace(envelope.Id) ||
            string.IsNullOrWhiteSpace(notification.DeviceId) || string.IsNullOrWhiteSpace(notification.OperationId) ||
            string.IsNullOrWhiteSpace(notification.SubOperationId) || !NotifyTypes.IsUpgrade(notification.NotifyType))
        {
            envelope = null;
            reason = "the envelope lacks its id or the notification's identifiers";
            return false;
        }

        reason = null;
        return true;
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(NotificationEnvelope))]
internal sealed partial class EnvelopeJsonContext : JsonSerializerContext;
