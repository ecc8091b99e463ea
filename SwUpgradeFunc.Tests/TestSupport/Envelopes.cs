using System.Text.Json;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>Queue envelopes as the receiver writes them, built from push bodies.</summary>
public static class Envelopes
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private static int _sequence;

    public static NotificationEnvelope Of(JsonObject body, DateTimeOffset? receivedAt = null)
    {
        var parsed = NotificationParser.Parse(Pushes.Bytes(body));
        if (parsed.Notification is null)
        {
            throw new ArgumentException($"Not a valid upgrade push: {parsed.Detail}", nameof(body));
        }

        return NotificationEnvelope.Create(parsed.Notification,
            receivedAt ?? Start.AddMilliseconds(Interlocked.Increment(ref _sequence)));
    }

    /// <summary>The same push, as the platform would push it again: a new envelope around the same notification.</summary>
    public static NotificationEnvelope Repush(NotificationEnvelope envelope) =>
        NotificationEnvelope.Create(envelope.Notification, envelope.ReceivedAt.AddSeconds(1));

    public static string Json(NotificationEnvelope envelope) => envelope.ToBinaryData().ToString();

    /// <summary>A device's full software or firmware lifecycle: the four states in order, then the result.</summary>
    public static IReadOnlyList<NotificationEnvelope> Lifecycle(bool firmware, string result, string deviceId = "dev-1",
        string operationId = "op-1", string? subOperationId = null, bool withResult = true)
    {
        var sub = subOperationId ?? "sub-" + deviceId;
        var states = firmware
            ? new[] { "1", "2", "3", "0" }.Select(s => Pushes.FwState(s, deviceId, operationId, sub))
            : new[] { "downloading", "downloaded", "updating", "idle" }.Select(s => Pushes.SwState(s, deviceId, operationId, sub));
        var pushes = states.ToList();
        if (withResult)
        {
            pushes.Add(firmware ? Pushes.FwResult(result, deviceId, operationId, sub) : Pushes.SwResult(result, deviceId, operationId, sub));
        }

        return [.. pushes.Select(p => Of(p))];
    }

    public static JsonDocument Parse(string json) => JsonDocument.Parse(json);
}
