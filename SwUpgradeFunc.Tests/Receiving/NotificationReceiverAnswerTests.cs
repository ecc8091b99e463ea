using System.Text;
using Azure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Tests.Receiving;

/// <summary>
/// Exactly what the receiver answers, counts and logs for each outcome: the problem's reason, title and detail the
/// platform's operators read, the metric tags dashboards filter on, and the log fields.
/// </summary>
public sealed class NotificationReceiverAnswerTests : ReceiverTests
{
    private const string Valid = """{"notifyType":"swUpgradeStateChangeNotify","deviceId":"d","appId":"app-a","operationId":"o","subOperationId":"s","swUpgradeState":"idle"}""";

    private readonly MetricCollector<double> _enqueue;

    public NotificationReceiverAnswerTests()
    {
        _enqueue = new MetricCollector<double>(Meters, SwUpgradeMetrics.MeterName, SwUpgradeMetrics.EnqueueDuration);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _enqueue.Dispose();
        }

        base.Dispose(disposing);
    }

    private static Task<ReceiveResult> Post(NotificationReceiver receiver, string body, string? contentType = "application/json", long? length = null) =>
        receiver.ReceiveAsync(contentType, length ?? Encoding.UTF8.GetByteCount(body), new MemoryStream(Encoding.UTF8.GetBytes(body)), CancellationToken.None);

    private (string Outcome, string Reason, string NotifyType) LastPushMetric()
    {
        var tags = PushMetrics.GetMeasurementSnapshot()[^1].Tags;
        return ((string)tags["outcome"]!, (string)tags["reason"]!, (string)tags["notify_type"]!);
    }

    public static TheoryData<string, string?, int, string, string, string> Rejections() => new()
    {
        { Valid, "text/plain", 415, "unsupported-media-type", "Unsupported media type", "The request must have Content-Type application/json." },
        { Valid, null, 415, "unsupported-media-type", "Unsupported media type", "The request must have Content-Type application/json." },
        { Valid, "application/json; charset=iso-8859-1", 415, "unsupported-media-type", "Unsupported media type", "Only the utf-8 charset is accepted for application/json." },
        { "{\"notifyType\":", "application/json", 400, "malformed-json", "Malformed JSON", "The body is not valid JSON (line 1, byte 15)." },
        { "[1,2]", "application/json", 400, "not-an-object", "Not a JSON object", "The body must be a JSON object, not an array." },
        { "{\"deviceId\":\"d\"}", "application/json", 400, "missing-notify-type", "Missing notifyType", "The push has no notifyType field." },
        { "{\"notifyType\":\"swUpgradeStateChangeNotify\",\"appId\":\"a\",\"subOperationId\":\"s\",\"swUpgradeState\":\"idle\"}", "application/json", 400,
            "invalid-fields", "Invalid notification", "The swUpgradeStateChangeNotify push is invalid: deviceId is missing; operationId is missing." },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task ARejectedPush_GetsItsProblem_ItsMetricAndItsLog(string body, string? contentType, int status, string reason, string title, string detail)
    {
        var result = await Post(Receiver(), body, contentType);

        Assert.Equal((ReceiveOutcome.Rejected, status, reason, title, detail), (result.Outcome, result.StatusCode, result.Reason, result.Title, result.Detail));
        var (outcome, metricReason, _) = LastPushMetric();
        Assert.Equal(("rejected", reason), (outcome, metricReason));
        Assert.Empty(Queue.Messages);
        var log = Logger.LatestRecord;
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.StartsWith($"Rejected a push with {status} {reason}", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARejectionLog_NamesTheFieldsAtFault()
    {
        await Post(Receiver(), "{\"notifyType\":\"swUpgradeStateChangeNotify\",\"appId\":\"a\",\"subOperationId\":\"s\",\"swUpgradeState\":\"idle\"}");

        Assert.EndsWith("fields deviceId,operationId)", Logger.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Equal(("rejected", "invalid-fields", "swUpgradeStateChangeNotify"), LastPushMetric());
    }

    [Fact]
    public async Task AnAppOutsideTheAllowList_Gets403_WithItsProblem()
    {
        var result = await Post(Receiver(o => o.AllowedAppIds = "app-b"), Valid);

        Assert.Equal((403, "app-not-allowed", "Application not allowed", "This receiver does not accept pushes for the appId in the notification."),
            (result.StatusCode, result.Reason, result.Title, result.Detail));
        Assert.Equal(("rejected", "app-not-allowed", "swUpgradeStateChangeNotify"), LastPushMetric());
    }

    [Theory]
    [InlineData("application/json; charset=utf8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    public async Task TheUtf8Charset_IsAccepted_UnderEitherName(string contentType)
    {
        Assert.Equal(200, (await Post(Receiver(), Valid, contentType)).StatusCode);
    }

    [Fact]
    public async Task ABodyOfExactlyTheLimit_IsAccepted_AndOneByteMore_Is413()
    {
        var limit = Encoding.UTF8.GetByteCount(Valid);

        var exact = await Post(Receiver(o => o.MaxBodyBytes = limit), Valid);
        var over = await Post(Receiver(o => o.MaxBodyBytes = limit - 1), Valid);

        Assert.Equal(200, exact.StatusCode);
        Assert.Equal((413, "payload-too-large", "Payload too large", $"The body exceeds the limit of {limit - 1} bytes."),
            (over.StatusCode, over.Reason, over.Title, over.Detail));
    }

    [Fact]
    public async Task AnAcceptedPush_IsCounted_Timed_AndLoggedWithItsIdentifiersInScope()
    {
        var result = await Post(Receiver(), Valid);

        Assert.Equal((ReceiveOutcome.Accepted, "accepted"), (result.Outcome, result.Reason));
        Assert.Equal(("accepted", "accepted", "swUpgradeStateChangeNotify"), LastPushMetric());
        Assert.Single(_enqueue.GetMeasurementSnapshot());
        var scope = Assert.IsAssignableFrom<IEnumerable<KeyValuePair<string, object?>>>(Assert.Single(Logger.LatestRecord.Scopes));
        Assert.Equal(
            [new("notifyType", "swUpgradeStateChangeNotify"), new("appId", "app-a"), new("operationId", "o"), new("deviceId", "d")],
            scope.OrderBy(p => p.Key == "notifyType" ? 0 : p.Key == "appId" ? 1 : p.Key == "operationId" ? 2 : 3).ToList());
    }

    [Theory]
    [InlineData("deviceAdded", "not-tracked", "deviceAdded")]
    [InlineData("somethingNew", "unknown-type", "unknown")]
    public async Task AnotherType_IsAcknowledged_AndCountedAsIgnored_WithItsReason(string notifyType, string reason, string label)
    {
        var result = await Post(Receiver(), $$"""{"notifyType":"{{notifyType}}"}""");

        Assert.Equal((ReceiveOutcome.Ignored, 200, "not-tracked"), (result.Outcome, result.StatusCode, result.Reason));
        Assert.Equal(("ignored", reason, label), LastPushMetric());
        Assert.Empty(Queue.Messages);
    }

    [Fact]
    public async Task AQueueSlowerThanTheBudget_Gives503_WithItsProblem_ItsMetricAndAnErrorLog()
    {
        Queue.HangUntilCancelled = true;
        var pending = Post(Receiver(o => o.EnqueueTimeoutSeconds = 5), Valid);
        Time.Advance(TimeSpan.FromSeconds(5));
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((503, "storage-timeout", "Notification storage unavailable", "The notification could not be stored within 5 s; retry later."),
            (result.StatusCode, result.Reason, result.Title, result.Detail));
        Assert.Equal(("unavailable", "storage-timeout", "swUpgradeStateChangeNotify"), LastPushMetric());
        Assert.Equal((LogLevel.Error, "Could not store a swUpgradeStateChangeNotify push (storage-timeout); answered 503 so that the platform retries"),
            (Logger.LatestRecord.Level, Logger.LatestRecord.Message));
        Assert.Empty(_enqueue.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task AFailingQueue_Gives503_WithItsProblem_ItsMetricAndTheErrorInTheLog()
    {
        Queue.FailWith = new RequestFailedException(500, "InternalError");

        var result = await Post(Receiver(), Valid);

        Assert.Equal((503, "storage-unavailable", "Notification storage unavailable", "The notification could not be stored; retry later."),
            (result.StatusCode, result.Reason, result.Title, result.Detail));
        Assert.Equal(("unavailable", "storage-unavailable", "swUpgradeStateChangeNotify"), LastPushMetric());
        Assert.Equal("Could not store a swUpgradeStateChangeNotify push (storage-unavailable); answered 503 so that the platform retries",
            Logger.LatestRecord.Message);
        Assert.IsType<RequestFailedException>(Logger.LatestRecord.Exception);
    }

    [Fact]
    public void TheQueueNames_DefaultToWhatTheTemplateCreates()
    {
        var options = new NotificationQueueOptions();

        Assert.Equal(("swupgrade-notifications", "swupgrade-notifications-poison"), (options.QueueName, options.PoisonQueueName));
        Assert.Equal("other-poison", new NotificationQueueOptions { QueueName = "other" }.PoisonQueueName);
    }

    [Theory]
    [InlineData("", LogLevel.Warning, "Receiver:AllowedAppIds is empty: pushes for any appId are accepted. Set it to the platform appId(s) of this deployment.")]
    [InlineData("app-a, app-b", LogLevel.Information, "The receiver accepts pushes for 2 appId(s)")]
    public async Task AtStartUp_TheReceiverSaysWhetherItIsOpenToEveryApp(string allowed, LogLevel level, string message)
    {
        var logger = new FakeLogger<ReceiverStartupCheck>();
        await new ReceiverStartupCheck(Options.Create(new ReceiverOptions { AllowedAppIds = allowed }), logger).StartAsync(CancellationToken.None);

        Assert.Equal((level, message), (logger.LatestRecord.Level, logger.LatestRecord.Message));
    }
}
