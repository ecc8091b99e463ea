using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.Functions;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Receiving;

/// <summary>
/// Ten thousand generated bodies (valid, mutated, damaged, noise) through the receiver: it never answers 5xx or throws,
/// enqueues exactly the pushes it accepts, and agrees with an independent JSON parser on what is malformed.
/// </summary>
public sealed class GeneratedInputTests
{
    private const int Seed = 20261126;

    [Fact]
    public async Task Receive_TenThousandGeneratedBodies_NeverFailServerSide_AndEnqueueOnlyWhatIsAccepted()
    {
        using var meters = new TestMeterFactory();
        var queue = new RecordingQueue();
        var receiver = new NotificationReceiver(queue, Options.Create(new ReceiverOptions()), TimeProvider.System,
            new SwUpgradeMetrics(meters), NullLogger<NotificationReceiver>.Instance,
            new ClientCertificateCheck(Options.Create(new ClientCertificateOptions()), TimeProvider.System));
        var fuzzer = new PushFuzzer(Seed);
        var outcomes = new Dictionary<ReceiveOutcome, int>();

        for (var i = 0; i < 10_000; i++)
        {
            var body = fuzzer.Next();
            var before = queue.Messages.Count;
            var result = await receiver.ReceiveAsync("application/json", body.Length, new MemoryStream(body), CancellationToken.None);
            var answer = MessageReceiverFunction.ToAnswer(result);
            var context = $"seed {Seed}, body #{i}: {PushFuzzer.Show(body)}";

            outcomes[result.Outcome] = outcomes.GetValueOrDefault(result.Outcome) + 1;
            Assert.True(answer.StatusCode < 500, context);
            Assert.True(result.Outcome == ReceiveOutcome.Accepted ? queue.Messages.Count == before + 1 : queue.Messages.Count == before, context);
            if (result.Outcome == ReceiveOutcome.Rejected)
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Detail), context);
            }

            if (!IsJson(body))
            {
                Assert.True(result.Reason == "malformed-json", context);
            }

            if (result.Outcome == ReceiveOutcome.Accepted)
            {
                AssertEnvelopeMatchesBody(queue.Messages.Last(), body, context);
            }
        }

        // The generator must exercise every path, or the assertions above prove little.
        Assert.True(outcomes.GetValueOrDefault(ReceiveOutcome.Accepted) > 500, $"accepted: {outcomes.GetValueOrDefault(ReceiveOutcome.Accepted)}");
        Assert.True(outcomes.GetValueOrDefault(ReceiveOutcome.Rejected) > 3000);
        Assert.True(outcomes.GetValueOrDefault(ReceiveOutcome.Ignored) > 100);
    }

    [Fact]
    public async Task Post_GeneratedBodiesOverHttp_LeaveExactlyTheAcceptedOnesOnTheAzuriteQueue()
    {
        var connection = AzuriteServer.ConnectionString;
        var queueName = AzuriteServer.NewName("fuzz-");
        await using var host = await FunctionsTestHost.StartAsync(MessageReceiverIntegrationTests.Settings(connection, queueName));
        var fuzzer = new PushFuzzer(Seed + 1);
        var accepted = 0;

        for (var i = 0; i < 300; i++)
        {
            var body = fuzzer.Next();
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await host.Client.PostAsync("/v1.0.0/messageReceiver", content);
            Assert.True((int)response.StatusCode < 500, $"body #{i}: {(int)response.StatusCode}");
            if (response.IsSuccessStatusCode && IsUpgradePush(body))
            {
                accepted++;
            }
        }

        var queue = new QueueClient(connection, queueName);
        await queue.CreateIfNotExistsAsync();
        var properties = await queue.GetPropertiesAsync();
        Assert.True(accepted > 10, $"only {accepted} accepted");
        Assert.Equal(accepted, properties.Value.ApproximateMessagesCount);
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            using var _ = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsUpgradePush(byte[] body) =>
        NotificationParser.Parse(body) is { Kind: PushKind.Upgrade };

    /// <summary>An accepted push's identifiers, read back by JsonDocument, are exactly what the envelope carries.</summary>
    private static void AssertEnvelopeMatchesBody(BinaryData message, byte[] body, string context)
    {
        Assert.True(NotificationEnvelope.TryParse(message.ToString(), out var envelope, out var reason), $"{reason}; {context}");
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var n = envelope!.Notification;
        Assert.True(root.GetProperty("notifyType").GetString() == n.NotifyType, context);
        Assert.True(root.GetProperty("deviceId").GetString() == n.DeviceId, context);
        Assert.True(root.GetProperty("appId").GetString() == n.AppId, context);
        Assert.True(root.GetProperty("operationId").GetString() == n.OperationId, context);
        Assert.True(root.GetProperty("subOperationId").GetString() == n.SubOperationId, context);
    }
}
