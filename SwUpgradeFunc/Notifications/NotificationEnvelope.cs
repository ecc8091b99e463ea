using System.Text.Json;
using System.Text.Json.Serialization;
using SwUpgradeFunc.Platform;

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

    /// <summary>Only on a <see cref="MessageTypes.Reconciliation"/> message: the platform's final status of the sub-task.</summary>
    public ReconciliationDetail? Reconciliation { get; init; }

    /// <summary>Whether this message applies the platform's final status rather than a push.</summary>
    public bool IsReconciliation => NotifyType == MessageTypes.Reconciliation;

    public static NotificationEnvelope Create(UpgradeNotification notification, DateTimeOffset receivedAt) => new()
    {
        SchemaVersion = CurrentSchemaVersion,
        Id = Guid.NewGuid().ToString("N"),
        ReceivedAt = receivedAt.ToUniversalTime(),
        NotifyType = notification.NotifyType,
        Notification = notification,
    };

    /// <summary>A reconciliation message: the platform's final status of one sub-task, to be applied like a result.</summary>
    public static NotificationEnvelope CreateReconciliation(string appId, string operationId, string subOperationId, string deviceId,
        ReconciliationDetail detail, DateTimeOffset receivedAt) => new()
        {
            SchemaVersion = CurrentSchemaVersion,
            Id = Guid.NewGuid().ToString("N"),
            ReceivedAt = receivedAt.ToUniversalTime(),
            NotifyType = MessageTypes.Reconciliation,
            Notification = new UpgradeNotification
            {
                NotifyType = MessageTypes.Reconciliation,
                AppId = appId,
                OperationId = operationId,
                SubOperationId = subOperationId,
                DeviceId = deviceId,
            },
            Reconciliation = detail,
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

        reason = envelope is null ? "the message is not an envelope" : MissingIdentifier(envelope);
        if (envelope is null || reason is not null)
        {
            envelope = null;
            return false;
        }

        var notification = envelope.Notification!;
        if ((envelope.NotifyType == MessageTypes.Reconciliation) != (notification.NotifyType == MessageTypes.Reconciliation) ||
            (envelope.IsReconciliation && envelope.Reconciliation?.Result is null))
        {
            envelope = null;
            reason = "a reconciliation message needs notifyType reconciliation on the envelope and the notification, and a platform status of success or fail";
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

        return NotifyTypes.IsUpgrade(n.NotifyType) || n.NotifyType == MessageTypes.Reconciliation
            ? null
            : $"the notification's notifyType '{MessageTypes.MetricLabel(n.NotifyType)}' is not an upgrade notification";
    }
}

/// <summary>What reconciliation learnt from the platform about one sub-task.</summary>
public sealed record ReconciliationDetail
{
    /// <summary>The sub-task's status as the platform reported it: success or fail.</summary>
    public required string PlatformStatus { get; init; }

    /// <summary>When the platform says the sub-task stopped (its stopTime), if it said.</summary>
    public DateTimeOffset? PlatformTime { get; init; }

    /// <summary>software or firmware, from the platform's task; null when the platform did not say.</summary>
    public string? Kind { get; init; }

    /// <summary>Who asked: <c>api</c> (the reconciliation route, e.g. <c>swupgrade reconcile --repair</c>) or <c>timer</c>.</summary>
    public required string Source { get; init; }

    /// <summary>The result the status stands for, as result pushes spell it (SUCCESS or FAIL); null for any other status.</summary>
    [JsonIgnore]
    public string? Result => SubOperationStatuses.ToResult(PlatformStatus);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(NotificationEnvelope))]
internal sealed partial class EnvelopeJsonContext : JsonSerializerContext;
