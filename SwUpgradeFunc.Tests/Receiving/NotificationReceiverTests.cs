using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Microsoft.Extensions.Logging;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Receiving;

public sealed class NotificationReceiverTests : ReceiverTests
{
    private static Task<ReceiveResult> Post(NotificationReceiver receiver, byte[] body, string? contentType = "application/json",
        long? contentLength = -1) =>
        receiver.ReceiveAsync(contentType, contentLength == -1 ? body.Length : contentLength, new MemoryStream(body), CancellationToken.None);

    private static Task<ReceiveResult> Post(NotificationReceiver receiver, JsonNode body, string? contentType = "application/json") =>
        Post(receiver, Pushes.Bytes(body), contentType);

    [Fact]
    public async Task Receive_EnqueuesAVersionedEnvelope_AndAccepts()
    {
        var result = await Post(Receiver(), Pushes.SwResult());

        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        var message = Assert.Single(Queue.Messages);
        using var json = JsonDocument.Parse(message.ToString());
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(result.EnvelopeId, root.GetProperty("id").GetString());
        Assert.Equal(Now, root.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal(NotifyTypes.SwUpgradeResult, root.GetProperty("notifyType").GetString());
        var notification = root.GetProperty("notification");
        Assert.Equal("dev-1", notification.GetProperty("deviceId").GetString());
        Assert.Equal("SUCCESS", notification.GetProperty("swUpgradeResult").GetString());
        Assert.Equal("120", notification.GetProperty("upgradeTime").GetString());
        Assert.False(notification.TryGetProperty("step", out _));
    }

    [Fact]
    public async Task Receive_GivesEveryEnvelopeItsOwnId_EvenForTheSamePush()
    {
        var receiver = Receiver();

        var first = await Post(receiver, Pushes.SwState());
        var second = await Post(receiver, Pushes.SwState());

        Assert.NotEqual(first.EnvelopeId, second.EnvelopeId);
        Assert.Equal(2, Queue.Messages.Count);
    }

    [Fact]
    public async Task Receive_WrittenEnvelope_ReadsBackThroughTheProcessorsParser()
    {
        await Post(Receiver(), Pushes.FwResult());

        Assert.True(NotificationEnvelope.TryParse(Queue.Messages.Single().ToString(), out var envelope, out var reason), reason);
        Assert.Equal("95", envelope!.Notification.UpgradeTime);
        Assert.Equal("SUCCESS", envelope.Notification.Status);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("APPLICATION/JSON;CHARSET=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    public async Task Receive_AcceptsJsonContentTypes_InAnyCase_WithParameters(string contentType)
    {
        var result = await Post(Receiver(), Pushes.SwState(), contentType);

        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/jsonx")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("not a media type")]
    public async Task Receive_Returns415_WhenContentTypeIsNotJson(string? contentType)
    {
        var result = await Post(Receiver(), Pushes.SwState(), contentType);

        Assert.Equal((ReceiveOutcome.Rejected, 415, "unsupported-media-type"), (result.Outcome, result.StatusCode, result.Reason));
        Assert.Empty(Queue.Messages);
    }

    [Fact]
    public async Task Receive_Returns413_FromContentLength_WithoutReadingTheBody()
    {
        var body = new ThrowingStream();

        var result = await Receiver().ReceiveAsync("application/json", 65537, body, CancellationToken.None);

        Assert.Equal((413, "payload-too-large"), (result.StatusCode, result.Reason));
    }

    [Fact]
    public async Task Receive_Returns413_WhenAnUnannouncedBodyExceedsTheLimit_AndStopsReadingAtIt()
    {
        var body = new EndlessStream();

        var result = await Receiver(o => o.MaxBodyBytes = 1024).ReceiveAsync("application/json", null, body, CancellationToken.None);

        Assert.Equal(413, result.StatusCode);
        Assert.Equal(1025, body.BytesRead);
        Assert.Empty(Queue.Messages);
    }

    [Fact]
    public async Task Receive_ReadsTheWholeBody_WhenEachReadReturnsAFewBytes()
    {
        var bytes = Pushes.Bytes(Pushes.FwResult("SUCCESS", deviceId: "dev-slow"));

        var result = await Receiver().ReceiveAsync("application/json", null, new FewBytesStream(bytes, 3), CancellationToken.None);

        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
        var queued = Assert.Single(Queue.Messages);
        Assert.True(NotificationEnvelope.TryParse(queued.ToString(), out var envelope, out var reason), reason);
        Assert.Equal(("dev-slow", "SUCCESS", "V1"),
            (envelope!.Notification.DeviceId, envelope.Notification.Status, envelope.Notification.SourceVersion));
    }

    [Fact]
    public async Task Receive_AcceptsABodyOfExactlyTheLimit()
    {
        var json = Pushes.SwState().ToJsonString();
        var padded = Pushes.Bytes(json + new string(' ', 2048 - json.Length));

        var result = await Post(Receiver(o => o.MaxBodyBytes = 2048), padded, contentLength: null);

        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
    }

    [Theory]
    [InlineData("{", "malformed-json")]
    [InlineData("[]", "not-an-object")]
    [InlineData("{}", "missing-notify-type")]
    [InlineData("{\"notifyType\":\"swUpgradeStateChangeNotify\"}", "invalid-fields")]
    public async Task Receive_Returns400_WithTheReason_AndEnqueuesNothing(string body, string reason)
    {
        var result = await Post(Receiver(), Pushes.Bytes(body));

        Assert.Equal((ReceiveOutcome.Rejected, 400, reason), (result.Outcome, result.StatusCode, result.Reason));
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        Assert.Empty(Queue.Messages);
    }

    [Fact]
    public async Task Receive_ListsTheOffendingFields_OfAnInvalidPush()
    {
        var body = Pushes.SwState();
        body.Remove("operationId");
        body["swUpgradeState"] = 3;

        var result = await Post(Receiver(), body);

        Assert.Equal(["operationId", "swUpgradeState"], result.Errors.Select(e => e.Field));
    }

    [Theory]
    [InlineData("deviceAdded")]
    [InlineData("deviceDataChanged")]
    [InlineData("ruleEvent")]
    public async Task Receive_AcknowledgesOtherPlatformTypes_WithoutEnqueueing(string notifyType)
    {
        var result = await Post(Receiver(), new JsonObject { ["notifyType"] = notifyType, ["deviceId"] = "d" });

        Assert.Equal((ReceiveOutcome.Ignored, 200), (result.Outcome, result.StatusCode));
        Assert.Empty(Queue.Messages);
        var measurement = Assert.Single(PushMetrics.GetMeasurementSnapshot());
        Assert.Equal(("ignored", notifyType), (measurement.Tags["outcome"], measurement.Tags["notify_type"]));
        Assert.Contains(Logger.Collector.GetSnapshot(), r => r.Message.Contains(notifyType, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Receive_AcknowledgesAnUnknownNotifyType_UnderOneBoundedLabel()
    {
        var result = await Post(Receiver(), new JsonObject { ["notifyType"] = "x-" + Guid.NewGuid() });

        Assert.Equal(ReceiveOutcome.Ignored, result.Outcome);
        var measurement = Assert.Single(PushMetrics.GetMeasurementSnapshot());
        Assert.Equal(("unknown", "unknown-type"), (measurement.Tags["notify_type"], measurement.Tags["reason"]));
    }

    [Fact]
    public async Task Receive_Returns403_ForAnAppIdOutsideTheAllowList_AndEnqueuesNothing()
    {
        var receiver = Receiver(o => o.AllowedAppIds = "app-1, app-2");

        var refused = await Post(receiver, Pushes.SwState(appId: "app-3"));
        var allowed = await Post(receiver, Pushes.SwState(appId: "app-2"));

        Assert.Equal((403, "app-not-allowed"), (refused.StatusCode, refused.Reason));
        Assert.Equal(ReceiveOutcome.Accepted, allowed.Outcome);
        Assert.Single(Queue.Messages);
    }

    /// <summary>appIds are opaque identifiers issued by the platform: the allow-list matches them exactly, letter case included.</summary>
    [Fact]
    public async Task Receive_MatchesTheAllowList_CaseSensitively_AfterTrimmingEachEntry()
    {
        var receiver = Receiver(o => o.AllowedAppIds = " AbC123 ,, x-App ");

        var exact = await Post(receiver, Pushes.SwState(appId: "AbC123"));
        var exactSecond = await Post(receiver, Pushes.SwState(appId: "x-App"));
        var lower = await Post(receiver, Pushes.SwState(appId: "abc123"));
        var upper = await Post(receiver, Pushes.SwState(appId: "X-APP"));
        var padded = await Post(receiver, Pushes.SwState(appId: "AbC123 "));

        Assert.Equal((ReceiveOutcome.Accepted, ReceiveOutcome.Accepted), (exact.Outcome, exactSecond.Outcome));
        Assert.Equal([403, 403, 403], new[] { lower.StatusCode, upper.StatusCode, padded.StatusCode });
        Assert.Equal(2, Queue.Messages.Count);
    }

    [Fact]
    public async Task Receive_AcceptsAnyAppId_WhenTheAllowListIsEmpty()
    {
        var result = await Post(Receiver(o => o.AllowedAppIds = " "), Pushes.SwState(appId: "whatever"));

        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
    }

    [Fact]
    public async Task Receive_Returns503WithRetryAfter_WhenTheQueueFails()
    {
        Queue.FailWith = new RequestFailedException(500, "storage down");

        var result = await Post(Receiver(o => o.RetryAfterSeconds = 7), Pushes.SwState());

        Assert.Equal((ReceiveOutcome.Unavailable, 503, "storage-unavailable"), (result.Outcome, result.StatusCode, result.Reason));
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
        var error = Assert.Single(Logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.IsType<RequestFailedException>(error.Exception);
    }

    [Fact]
    public async Task Receive_Returns503_WhenTheQueueIsSlowerThanTheBudget()
    {
        Queue.HangUntilCancelled = true;
        var pending = Post(Receiver(o => o.EnqueueTimeoutSeconds = 5), Pushes.SwState());

        Time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(pending.IsCompleted);
        Time.Advance(TimeSpan.FromSeconds(1));
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((503, "storage-timeout"), (result.StatusCode, result.Reason));
        Assert.Empty(Queue.Messages);
    }

    [Fact]
    public async Task Receive_CountsEachOutcome_ByReasonAndNotifyType()
    {
        var receiver = Receiver();
        await Post(receiver, Pushes.SwState());
        await Post(receiver, Pushes.FwResult());
        await Post(receiver, Pushes.Bytes("{"));
        Queue.FailWith = new InvalidOperationException("down");
        await Post(receiver, Pushes.SwState());

        var seen = PushMetrics.GetMeasurementSnapshot()
            .Select(m => $"{m.Tags["outcome"]}/{m.Tags["reason"]}/{m.Tags["notify_type"]}")
            .ToArray();

        Assert.Equal(
            [
                "accepted/accepted/swUpgradeStateChangeNotify", "accepted/accepted/fwUpgradeResultNotify",
                "rejected/malformed-json/unknown", "unavailable/storage-unavailable/swUpgradeStateChangeNotify",
            ],
            seen);
    }

    [Fact]
    public async Task Receive_NeverLogsTheBody()
    {
        const string marker = "BODY-ONLY-VALUE-7f3a";
        var receiver = Receiver();
        var accepted = Pushes.SwResult();
        accepted["resultDesc"] = marker;
        var rejected = Pushes.SwResult();
        rejected["description"] = marker;
        rejected.Remove("deviceId");

        await Post(receiver, accepted);
        await Post(receiver, rejected);
        await Post(receiver, Pushes.Bytes("{\"x\":\"" + marker + "\""));
        await Post(receiver, new JsonObject { ["notifyType"] = "deviceAdded", ["deviceInfo"] = marker });

        var records = Logger.Collector.GetSnapshot();
        Assert.Equal(4, records.Count);
        Assert.DoesNotContain(records, r => r.Message.Contains(marker, StringComparison.Ordinal) ||
            r.StructuredState!.Any(kv => kv.Value?.Contains(marker, StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task Receive_LogsWhyAPushWasRejected_NamingFieldsNotValues()
    {
        var body = Pushes.SwState();
        body.Remove("subOperationId");

        await Post(Receiver(), body);

        var record = Assert.Single(Logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Equal("invalid-fields", record.GetStructuredStateValue("Reason"));
        Assert.Equal("subOperationId", record.GetStructuredStateValue("Fields"));
    }

    [Fact]
    public async Task Receive_LogsAnAcceptedPush_WithItsIdentifiersAsProperties()
    {
        await Post(Receiver(), Pushes.SwState(deviceId: "dev-9", operationId: "op-9"));

        var record = Assert.Single(Logger.Collector.GetSnapshot());
        Assert.Equal("dev-9", record.GetStructuredStateValue("DeviceId"));
        Assert.Equal("op-9", record.GetStructuredStateValue("OperationId"));
        Assert.Equal("app-1", record.GetStructuredStateValue("AppId"));
        Assert.Equal(NotifyTypes.SwUpgradeStateChange, record.GetStructuredStateValue("NotifyType"));
    }

    private sealed class ThrowingStream : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The body must not be read.");
    }

    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, 100);
            buffer.AsSpan(offset, n).Fill((byte)' ');
            BytesRead += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A stream whose reads return at most a few bytes, as a slow network hands a body over.</summary>
    private sealed class FewBytesStream(byte[] bytes, int perRead) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, perRead));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
