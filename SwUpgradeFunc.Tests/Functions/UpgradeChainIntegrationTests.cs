using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>
/// The whole chain against Azurite: POST to the callback -> queue (base64 on the wire, decoded as host.json tells the
/// host) -> the queue trigger function -> table -> the status API over HTTP.
/// </summary>
public sealed class UpgradeChainIntegrationTests : IAsyncLifetime
{
    private readonly string _queueName = AzuriteServer.NewName("chain-");
    private FunctionsTestHost _host = null!;
    private QueueTriggerDriver _trigger = null!;

    public async Task InitializeAsync()
    {
        var settings = MessageReceiverIntegrationTests.Settings(AzuriteServer.ConnectionString, _queueName);
        settings["Upgrades:TableName"] = AzuriteServer.NewName("chain");
        _host = await FunctionsTestHost.StartAsync(settings);
        _trigger = new QueueTriggerDriver(AzuriteServer.ConnectionString, _queueName);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task Push(string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await _host.Client.PostAsync("/v1.0.0/messageReceiver", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonDocument> Get(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _host.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body);
    }

    [Fact]
    public async Task Push_ToStatusApi_ShowsEveryDevicesPhase_AndHistory()
    {
        // Three devices: one completes, one fails, one is still downloading; one push arrives twice, one out of order.
        foreach (var (device, states, result) in new[]
                 {
                     ("dev-1", new[] { "downloading", "downloaded", "updating", "idle" }, "SUCCESS"),
                     ("dev-2", new[] { "downloading", "updating" }, "FAIL"),
                     ("dev-3", new[] { "downloading" }, (string?)null),
                 })
        {
            foreach (var state in states)
            {
                await Push(Pushes.SwState(state, device, "op-chain", "sub-" + device).ToJsonString());
            }

            if (result is not null)
            {
                await Push(Pushes.SwResult(result, device, "op-chain", "sub-" + device).ToJsonString());
            }
        }

        await Push(Pushes.SwState("downloading", "dev-1", "op-chain", "sub-dev-1").ToJsonString());
        await Push(Pushes.SwState("downloaded", "dev-2", "op-chain", "sub-dev-2").ToJsonString());

        var processed = await _trigger.DrainAsync(_host.InvokeProcessNotification, parallelism: 4);

        Assert.Equal(11, processed);
        Assert.Equal(0, _trigger.Failures);
        using var progress = await Get("/api/upgrades/op-chain");
        var root = progress.RootElement;
        Assert.Equal("op-chain", root.GetProperty("operationId").GetString());
        Assert.Equal(3, root.GetProperty("total").GetInt32());
        var phases = root.GetProperty("phases");
        Assert.Equal((1, 1, 1, 0), (phases.GetProperty("succeeded").GetInt32(), phases.GetProperty("failed").GetInt32(),
            phases.GetProperty("downloading").GetInt32(), phases.GetProperty("updating").GetInt32()));
        var rows = root.GetProperty("subTasks").EnumerateArray()
            .ToDictionary(r => r.GetProperty("deviceId").GetString()!, r => r.GetProperty("phase").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["dev-1"] = "succeeded", ["dev-2"] = "failed", ["dev-3"] = "downloading" }, rows);

        using var deviceView = await Get("/api/devices/dev-1/upgrades");
        var subTask = Assert.Single(deviceView.RootElement.GetProperty("subTasks").EnumerateArray());
        Assert.Equal(1, subTask.GetProperty("duplicates").GetInt32());
        Assert.Equal(["downloading", "downloaded", "updating", "idle", "SUCCESS"],
            subTask.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("value").GetString()));
        Assert.Equal("2.0.0", subTask.GetProperty("curVersion").GetString());
    }

    [Fact]
    public async Task Trigger_SendsAnUnreadableMessage_ToPoison_OnTheFirstAttempt()
    {
        var queue = new QueueClient(AzuriteServer.ConnectionString, _queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("{\"schemaVersion\":99}");

        var processed = await _trigger.DrainAsync(_host.InvokeProcessNotification);

        Assert.Equal(1, processed);
        Assert.Equal(0, _trigger.Failures);
        var poison = new QueueClient(AzuriteServer.ConnectionString, _queueName + "-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var message = Assert.Single((await poison.PeekMessagesAsync(10)).Value);
        Assert.Equal("{\"schemaVersion\":99}", message.Body.ToString());
    }

    [Fact]
    public async Task StatusApi_Returns404ProblemJson_ForUnknownIds()
    {
        using var task = await Get("/api/upgrades/op-unknown", HttpStatusCode.NotFound);
        using var device = await Get("/api/devices/dev-unknown/upgrades", HttpStatusCode.NotFound);

        Assert.Equal(404, task.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("urn:swupgradefunc:problem:unknown-device", device.RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=1001")]
    [InlineData("pageSize=ten")]
    [InlineData("continuationToken=garbage!!")]
    public async Task StatusApi_Returns400_ForBadPaging(string query)
    {
        await Push(Pushes.SwState("downloading", "dev-p", "op-paging", "sub-p").ToJsonString());
        await _trigger.DrainAsync(_host.InvokeProcessNotification);

        using var problem = await Get("/api/upgrades/op-paging?" + query, HttpStatusCode.BadRequest);

        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task StatusApi_PagesWithAContinuationToken()
    {
        for (var d = 0; d < 5; d++)
        {
            await Push(Pushes.SwState("downloading", $"dev-{d}", "op-pages", $"sub-{d}").ToJsonString());
        }

        await _trigger.DrainAsync(_host.InvokeProcessNotification, parallelism: 4);

        var devices = new List<string>();
        string? token = null;
        do
        {
            using var page = await Get("/api/upgrades/op-pages?pageSize=2" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)));
            var rows = page.RootElement.GetProperty("subTasks").EnumerateArray().ToArray();
            Assert.True(rows.Length <= 2);
            devices.AddRange(rows.Select(r => r.GetProperty("deviceId").GetString()!));
            token = page.RootElement.TryGetProperty("continuationToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }
        while (token is not null);

        Assert.Equal(["dev-0", "dev-1", "dev-2", "dev-3", "dev-4"], devices.Order(StringComparer.Ordinal));
    }
}
