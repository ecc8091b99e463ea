using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Notifications;

/// <summary>The queue message between receiver and processor: ids, the schema version, and the reconciliation variant.</summary>
public class NotificationEnvelopeTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private static ReconciliationDetail Detail(string status) => new() { PlatformStatus = status, Source = "api" };

    [Fact]
    public void EveryEnvelope_GetsItsOwnId_32HexDigits()
    {
        var n = NotificationParser.Parse(Pushes.Bytes(Pushes.SwState())).Notification!;
        var ids = new[]
        {
            NotificationEnvelope.Create(n, At).Id, NotificationEnvelope.Create(n, At).Id,
            NotificationEnvelope.CreateReconciliation("a", "o", "s", "d", Detail("success"), At).Id,
            NotificationEnvelope.CreateReconciliation("a", "o", "s", "d", Detail("success"), At).Id,
        };

        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("""{"id":"x"}""", "the message has no numeric schemaVersion")]
    [InlineData("""{"schemaVersion":"1","id":"x"}""", "the message has no numeric schemaVersion")]
    [InlineData("""{"schemaVersion":1.5,"id":"x"}""", "the message has no numeric schemaVersion")]
    [InlineData("""{"schemaVersion":99,"id":"x"}""", "schemaVersion 99 is not supported (this processor reads 1)")]
    [InlineData("""[1]""", "the message is not a JSON object")]
    [InlineData("""{"schemaVersion":1,"id":"x","receivedAt":"2026-11-26T09:00:00Z","notifyType":"swUpgradeStateChangeNotify","notification":null}""", "the envelope lacks its notification")]
    public void AMessageThatIsNotACurrentEnvelope_IsRefused_WithTheReason(string message, string reason)
    {
        Assert.False(NotificationEnvelope.TryParse(message, out var envelope, out var why));
        Assert.Null(envelope);
        Assert.Equal(reason, why);
    }

    [Theory]
    [InlineData("success", "SUCCESS")]
    [InlineData("Success", "SUCCESS")]
    [InlineData("FAIL", "FAIL")]
    [InlineData("fail", "FAIL")]
    [InlineData("pending", null)]
    [InlineData("", null)]
    public void AReconciliationStatus_StandsForTheResultPushesSpell(string status, string? result)
    {
        Assert.Equal(result, Detail(status).Result);
    }

    [Fact]
    public void AReconciliationMessage_RoundTrips_AndOneWithAStatusThatIsNoResult_IsRefused()
    {
        var good = NotificationEnvelope.CreateReconciliation("a", "o", "s", "d", Detail("fail"), At);
        Assert.True(NotificationEnvelope.TryParse(good.ToBinaryData().ToString(), out var parsed, out var reason), reason);
        Assert.Equal(("FAIL", true), (parsed!.Reconciliation!.Result, parsed.IsReconciliation));

        var pending = NotificationEnvelope.CreateReconciliation("a", "o", "s", "d", Detail("pending"), At);
        Assert.False(NotificationEnvelope.TryParse(pending.ToBinaryData().ToString(), out var none, out var why));
        Assert.Null(none);
        Assert.Equal("a reconciliation message needs notifyType reconciliation on the envelope and the notification, and a platform status of success or fail", why);
    }

    [Fact]
    public void AnEnvelopeAndNotificationThatDisagreeOnReconciliation_AreRefused()
    {
        var push = NotificationEnvelope.Create(NotificationParser.Parse(Pushes.Bytes(Pushes.SwResult())).Notification!, At);
        var relabelled = push with { NotifyType = MessageTypes.Reconciliation, Reconciliation = Detail("success") };
        var reconciliation = NotificationEnvelope.CreateReconciliation("a", "o", "s", "d", Detail("success"), At);
        var unlabelled = reconciliation with { NotifyType = NotifyTypes.SwUpgradeResult };

        foreach (var envelope in new[] { relabelled, unlabelled })
        {
            Assert.False(NotificationEnvelope.TryParse(envelope.ToBinaryData().ToString(), out var parsed, out var why));
            Assert.Null(parsed);
            Assert.StartsWith("a reconciliation message needs notifyType reconciliation", why, StringComparison.Ordinal);
        }
    }
}
