using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Events;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

public sealed class NotificationProcessorTests : IDisposable
{
    private readonly string _queueName = AzuriteServer.NewName("proc-");
    private readonly string _table = AzuriteServer.NewName("proc");
    private readonly FakeLogger<NotificationProcessor> _logger = new();
    private readonly TestMeterFactory _meters = new();
    private readonly RecordingEventPublisher _events = new();
    private readonly MetricCollector<long> _processed;

    public NotificationProcessorTests()
    {
        _processed = new MetricCollector<long>(_meters, SwUpgradeMetrics.MeterName, SwUpgradeMetrics.NotificationsProcessed);
    }

    public void Dispose()
    {
        _processed.Dispose();
        _meters.Dispose();
    }

    private NotificationProcessor Processor(string? tableConnection = null)
    {
        var tableOptions = new TableClientOptions();
        tableOptions.Retry.MaxRetries = 0;
        tableOptions.Retry.Mode = RetryMode.Fixed;
        return Processor(new TableServiceClient(tableConnection ?? AzuriteServer.ConnectionString, tableOptions));
    }

    private NotificationProcessor Processor(TableServiceClient tables)
    {
        var connection = AzuriteServer.ConnectionString;
        var upgrades = Options.Create(new UpgradesOptions { TableName = _table });
        var store = new UpgradeStateStore(tables, upgrades);
        var queueOptions = Options.Create(new NotificationQueueOptions { QueueName = _queueName });
        var poison = new StoragePoisonQueue(new QueueServiceClient(connection, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }), queueOptions);
        return new NotificationProcessor(store, poison, _events, queueOptions, upgrades, new SwUpgradeMetrics(_meters), _logger);
    }

    private async Task<string[]> PoisonedMessages()
    {
        var raw = new QueueClient(AzuriteServer.ConnectionString, _queueName + "-poison");
        await raw.CreateIfNotExistsAsync();
        return [.. (await raw.PeekMessagesAsync(32)).Value.Select(m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Body.ToString())))];
    }

    [Fact]
    public async Task Process_RecordsAnEnvelope_AndReportsDuplicates()
    {
        var processor = Processor();
        var envelope = Envelopes.Of(Pushes.SwState("downloading"));

        var first = await processor.ProcessAsync(Envelopes.Json(envelope), "m1", 1, CancellationToken.None);
        var again = await processor.ProcessAsync(Envelopes.Json(envelope), "m1", 2, CancellationToken.None);

        Assert.Equal((ProcessOutcome.Recorded, ProcessOutcome.Duplicate), (first, again));
        Assert.Equal(["advanced", "duplicate"], _processed.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
    }

    [Theory]
    [InlineData("not json at all", "not a valid envelope")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{\"id\":\"x\"}", "no numeric schemaVersion")]
    [InlineData("{\"schemaVersion\":2,\"id\":\"x\"}", "schemaVersion 2 is not supported")]
    [InlineData("{\"schemaVersion\":1,\"id\":\"x\",\"receivedAt\":\"2026-11-26T00:00:00Z\",\"notifyType\":\"deviceAdded\",\"notification\":{\"notifyType\":\"deviceAdded\",\"deviceId\":\"d\",\"appId\":\"a\",\"operationId\":\"o\",\"subOperationId\":\"s\"}}", "notifyType 'deviceAdded' is not an upgrade notification")]
    public async Task Process_SendsAMessageThatCanNeverBeProcessed_StraightToPoison_WithTheReasonLogged(string message, string reason)
    {
        var outcome = await Processor().ProcessAsync(message, "m-bad", 1, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Poisoned, outcome);
        Assert.Equal([message], await PoisonedMessages());
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains(reason, log.Message, StringComparison.Ordinal);
        Assert.Contains("m-bad", log.Message, StringComparison.Ordinal);
        Assert.Contains(_queueName + "-poison", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_ThrowsOnATransientStorageFailure_SoTheRuntimeRetries_AndPoisonsNothing()
    {
        var processor = Processor(tableConnection: AzuriteServer.UnreachableConnectionString());
        var envelope = Envelopes.Of(Pushes.SwState("updating"));

        await Assert.ThrowsAnyAsync<Exception>(() => processor.ProcessAsync(Envelopes.Json(envelope), "m-retry", 3, CancellationToken.None));

        Assert.Empty(await PoisonedMessages());
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal("3", log.GetStructuredStateValue("DequeueCount"));
        Assert.Equal("m-retry", log.GetStructuredStateValue("MessageId"));
    }

    public static TheoryData<string, string?, string> EnvelopesLackingAnIdentifier()
    {
        var data = new TheoryData<string, string?, string>();
        foreach (var value in new string?[] { null, "", " \t" })
        {
            data.Add("id", value, "the envelope lacks its id");
            foreach (var field in new[] { "deviceId", "appId", "operationId", "subOperationId" })
            {
                data.Add("notification." + field, value, $"the envelope lacks the notification's {field}");
            }
        }

        return data;
    }

    /// <summary>A null value means the property is left out: a required property missing fails the envelope's schema.</summary>
    [Theory]
    [MemberData(nameof(EnvelopesLackingAnIdentifier))]
    public async Task Process_PoisonsAnEnvelopeLackingAnIdentifier_AtOnce_WithTheReason(string path, string? value, string reason)
    {
        var json = JsonNode.Parse(Envelopes.Json(Envelopes.Of(Pushes.SwState("downloading"))))!.AsObject();
        var (owner, name) = path.StartsWith("notification.", StringComparison.Ordinal)
            ? (json["notification"]!.AsObject(), path["notification.".Length..])
            : (json, path);
        Assert.True(owner.ContainsKey(name), $"the envelope as written has {path}");
        if (value is null)
        {
            owner.Remove(name);
        }
        else
        {
            owner[name] = value;
        }

        var message = json.ToJsonString();

        var outcome = await Processor().ProcessAsync(message, "m-lacking", 1, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Poisoned, outcome);
        Assert.Equal([message], await PoisonedMessages());
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains(value is null ? $"'{name}'" : reason, log.GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        var poisoned = Assert.Single(_processed.GetMeasurementSnapshot());
        Assert.Equal("poisoned", poisoned.Tags["outcome"]);
        Assert.False(await TableExists(), "nothing reaches the state store");
    }

    /// <summary>400 and 413 from the table refuse the entity itself: no retry can help, so the message is poisoned at once.</summary>
    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "PropertyValueTooLarge")]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, "RequestBodyTooLarge")]
    public async Task Process_PoisonsAtOnce_WhenTheTableRefusesTheEntity(HttpStatusCode status, string errorCode)
    {
        var (tables, transport) = ScriptedTableTransport.Create(AzuriteServer.ConnectionString);
        transport.FailWrites(status, errorCode);
        var envelope = Envelopes.Of(Pushes.FwResult("FAIL"));
        var message = Envelopes.Json(envelope);

        var outcome = await Processor(tables).ProcessAsync(message, "m-refused", 1, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Poisoned, outcome);
        Assert.True(transport.FailedWrites > 0, "the refusal came from the table");
        Assert.Equal([message], await PoisonedMessages());
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Error, log.Level);
        Assert.Equal($"the state store refused it ({(int)status} {errorCode})", log.GetStructuredStateValue("Reason"));
        var poisoned = Assert.Single(_processed.GetMeasurementSnapshot());
        Assert.Equal(("poisoned", "fwUpgradeResultNotify"), ((string)poisoned.Tags["outcome"]!, (string)poisoned.Tags["notify_type"]!));
    }

    /// <summary>
    /// 503 (the service is busy) and 403 (a role assignment still propagating) pass: the message is thrown back to the
    /// runtime, which retries it, and once the table answers again the same message is recorded.
    /// </summary>
    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ServerBusy")]
    [InlineData(HttpStatusCode.Forbidden, "AuthorizationPermissionMismatch")]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError")]
    public async Task Process_ThrowsForTheRuntimeToRetry_OnATransientTableError_AndRecordsTheMessageOnceItPasses(
        HttpStatusCode status, string errorCode)
    {
        var (tables, transport) = ScriptedTableTransport.Create(AzuriteServer.ConnectionString);
        var processor = Processor(tables);
        var message = Envelopes.Json(Envelopes.Of(Pushes.SwState("downloading")));
        transport.FailWrites(status, errorCode);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => processor.ProcessAsync(message, "m-busy", 1, CancellationToken.None));

        Assert.Equal((int)status, failure.Status);
        Assert.Empty(await PoisonedMessages());
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Equal((LogLevel.Warning, "m-busy", "1"),
            (warning.Level, warning.GetStructuredStateValue("MessageId"), warning.GetStructuredStateValue("DequeueCount")));
        var retry = Assert.Single(_processed.GetMeasurementSnapshot());
        Assert.Equal(("retry", "swUpgradeStateChangeNotify"), ((string)retry.Tags["outcome"]!, (string)retry.Tags["notify_type"]!));

        transport.Heal();
        var outcome = await processor.ProcessAsync(message, "m-busy", 2, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Recorded, outcome);
        Assert.Empty(await PoisonedMessages());
        Assert.Equal(["retry", "advanced"], _processed.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
    }

    private async Task<bool> TableExists()
    {
        var service = new TableServiceClient(AzuriteServer.ConnectionString);
        await foreach (var table in service.QueryAsync(t => t.Name == _table))
        {
            return true;
        }

        return false;
    }

    [Fact]
    public async Task Process_PublishesOneSettledEvent_AndCountsTheSettlement()
    {
        using var settled = new MetricCollector<long>(_meters, SwUpgradeMetrics.MeterName, SwUpgradeMetrics.SubTasksSettled);
        var processor = Processor();
        var result = Envelopes.Of(Pushes.FwResult("FAIL", "dev-ev", "op-ev", "sub-ev"));

        await processor.ProcessAsync(Envelopes.Json(Envelopes.Of(Pushes.FwState("1", "dev-ev", "op-ev", "sub-ev"))), "m0", 1, CancellationToken.None);
        await processor.ProcessAsync(Envelopes.Json(result), "m1", 1, CancellationToken.None);
        await processor.ProcessAsync(Envelopes.Json(Envelopes.Of(Pushes.FwResult("SUCCESS", "dev-ev", "op-ev", "sub-ev"))), "m2", 1, CancellationToken.None);

        var published = Assert.Single(_events.Published);
        Assert.Equal(("SwUpgradeFunc.SubTask.Settled", "op-ev/sub-ev", SettledEvents.Id("op-ev", "sub-ev")),
            (published.Type, published.Subject, published.Id));
        using var data = JsonDocument.Parse(published.Data!.ToString());
        Assert.Equal(("FAIL", "dev-ev", "firmware", "V2", "ok"), (data.RootElement.GetProperty("result").GetString(),
            data.RootElement.GetProperty("deviceId").GetString(), data.RootElement.GetProperty("kind").GetString(),
            data.RootElement.GetProperty("curVersion").GetString(), data.RootElement.GetProperty("resultDesc").GetString()));
        Assert.Equal(result.ReceivedAt, data.RootElement.GetProperty("settledAt").GetDateTimeOffset());
        var measurement = Assert.Single(settled.GetMeasurementSnapshot());
        Assert.Equal("FAIL", measurement.Tags["result"]);
    }

    [Fact]
    public async Task Process_ThrowsWhenPublishingFails_AndTheRedeliveryPublishesTheSameId()
    {
        var processor = Processor();
        var result = Envelopes.Json(Envelopes.Of(Pushes.SwResult("SUCCESS", "dev-rd", "op-rd", "sub-rd")));
        _events.FailNext(1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => processor.ProcessAsync(result, "m1", 1, CancellationToken.None));
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Equal((LogLevel.Warning, "m1", "1"),
            (warning.Level, warning.GetStructuredStateValue("MessageId"), warning.GetStructuredStateValue("DequeueCount")));
        Assert.IsType<InvalidOperationException>(warning.Exception);
        Assert.Equal(["retry"], _processed.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
        var again = await processor.ProcessAsync(result, "m1", 2, CancellationToken.None);
        var repush = await processor.ProcessAsync(Envelopes.Json(Envelopes.Of(Pushes.SwResult("SUCCESS", "dev-rd", "op-rd", "sub-rd"))), "m2", 1,
            CancellationToken.None);

        Assert.Equal((ProcessOutcome.Duplicate, ProcessOutcome.Duplicate), (again, repush));
        Assert.Equal([SettledEvents.Id("op-rd", "sub-rd"), SettledEvents.Id("op-rd", "sub-rd")], _events.Published.Select(e => e.Id));
        Assert.Empty(await PoisonedMessages());
    }

    [Fact]
    public async Task Process_LogsEachPush_WithItsVerdict_AndTheIdentifiersAsScope()
    {
        var envelope = Envelopes.Of(Pushes.SwState("downloaded", "dev-log", "op-log", "sub-log", "app-log"));

        await Processor().ProcessAsync(Envelopes.Json(envelope), "m-log", 1, CancellationToken.None);

        var log = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal((LogLevel.Information, 20), (log.Level, log.Id.Id));
        Assert.Equal(("sub-log", "advanced-skipping-steps", "Downloaded"), (log.GetStructuredStateValue("SubOperationId"),
            log.GetStructuredStateValue("Verdict"), log.GetStructuredStateValue("Phase")));
        var scope = Assert.IsType<Dictionary<string, object?>>(Assert.Single(log.Scopes));
        Assert.Equal(new Dictionary<string, object?>
        {
            ["notifyType"] = SwUpgradeFunc.Platform.NotifyTypes.SwUpgradeStateChange,
            ["appId"] = "app-log",
            ["operationId"] = "op-log",
            ["deviceId"] = "dev-log",
            ["envelopeId"] = envelope.Id,
        }, scope);
    }

    [Fact]
    public async Task Process_ARedeliveredReconciliation_PublishesTheSettledEventAgain_WithTheSameId()
    {
        var processor = Processor();
        var message = Envelopes.Json(ReconciliationStateMachineTests.Reconcile("success", "dev-rc", "op-rc", "sub-rc"));

        await processor.ProcessAsync(message, "m1", 1, CancellationToken.None);
        var again = await processor.ProcessAsync(message, "m1", 2, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Duplicate, again);
        Assert.Equal([SettledEvents.Id("op-rc", "sub-rc"), SettledEvents.Id("op-rc", "sub-rc")], _events.Published.Select(e => e.Id));
    }

    [Fact]
    public async Task Process_ALateResultPush_ThatConfirmsAReconciliation_PublishesNoSecondEvent()
    {
        var processor = Processor();
        await processor.ProcessAsync(Envelopes.Json(ReconciliationStateMachineTests.Reconcile("success", "dev-cf", "op-cf", "sub-cf")), "m1", 1,
            CancellationToken.None);

        var outcome = await processor.ProcessAsync(Envelopes.Json(Envelopes.Of(Pushes.SwResult("SUCCESS", "dev-cf", "op-cf", "sub-cf"),
            new DateTimeOffset(2026, 11, 26, 12, 5, 0, TimeSpan.Zero))), "m2", 1, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Recorded, outcome);
        Assert.Single(_events.Published);
        Assert.Equal(["settled", "confirmed"], _processed.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
    }

    [Fact]
    public async Task Process_ARedeliveredStatePush_OfASettledSubTask_PublishesNothing_EvenIfItsValueReadsLikeTheResult()
    {
        var processor = Processor();
        await processor.ProcessAsync(Envelopes.Json(Envelopes.Of(Pushes.SwResult("SUCCESS", "dev-sv", "op-sv", "sub-sv"))), "m1", 1,
            CancellationToken.None);
        var odd = Envelopes.Json(Envelopes.Of(Pushes.SwState("SUCCESS", "dev-sv", "op-sv", "sub-sv")));

        await processor.ProcessAsync(odd, "m2", 1, CancellationToken.None);
        var again = await processor.ProcessAsync(odd, "m2", 2, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Duplicate, again);
        Assert.Single(_events.Published);
    }
}
