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

        reason = MissingIdentifier(envelope!);
        if (reason is not null)
        {
            envelope = null;
            return false;
        }

        return true;
    }

    /// <summary>The first identifier the processor cannot do without that is missing or blank, as a reason.</summary>
    private static string? MissingIdentifier(NotificationEnvelope envelope)
    {
        if (string.IsNullOrWhiteSpace(envelope.Id))
        {
            return "the envelope lacks its id";
        }

        var n = envelope.Notification;
        if (n is null)
        {
            return "the envelope lacks its notification";
        }

        (string Field, string Value)[] identifiers =
        [
            ("deviceId", n.DeviceId), ("appId", n.AppId), ("operationId", n.OperationId), ("subOperationId", n.SubOperationId),
        ];
        foreach (var (field, value) in identifiers)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return $"the envelope lacks the notification's {field}";
            }
        }

        return NotifyTypes.IsUpgrade(n.NotifyType)
            ? null
            : $"the notification's notifyType '{NotifyTypes.MetricLabel(n.NotifyType)}' is not an upgrade notification";
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(NotificationEnvelope))]
internal sealed partial class EnvelopeJsonContext : JsonSerializerContext;
