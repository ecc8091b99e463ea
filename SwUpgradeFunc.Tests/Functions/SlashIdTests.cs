using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>
/// Ids holding '/' that the receiver took: the page and the CLI send them percent-encoded, and the host leaves %2F
/// encoded in the route value (as Kestrel does here), so each route must decode it to find the task.
/// </summary>
public sealed class SlashIdTests : IAsyncLifetime
{
    private const string OperationId = "op/slash/x";
    private const string DeviceId = "dev/slash/x";
    private readonly string _queueName = AzuriteServer.NewName("slash-");
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = MessageReceiverIntegrationTests.Settings(AzuriteServer.ConnectionString, _queueName);
        settings["Upgrades:TableName"] = AzuriteServer.NewName("slash");
        settings["Events:QueueName"] = "";
        _host = await FunctionsTestHost.StartAsync(settings);
        var store = _host.Services.GetRequiredService<UpgradeStateStore>();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", DeviceId, OperationId, "sub/slash/x")), CancellationToken.None);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/api/upgrades/op%2Fslash%2Fx")]
    [InlineData("/api/upgrades/op%2fslash%2fx/subtasks")]
    [InlineData("/api/upgrades/op%2Fslash%2Fx/subtasks?phase=active")]
    public async Task Get_FindsATaskWhoseIdHoldsASlash_ThroughItsPercentEncodedId(string path)
    {
        using var response = await _host.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(OperationId, body.RootElement.GetProperty("operationId").GetString());
        Assert.Equal(DeviceId, Assert.Single(body.RootElement.GetProperty("subTasks").EnumerateArray()).GetProperty("deviceId").GetString());
    }

    [Fact]
    public async Task Get_FindsATaskWhoseIdHoldsAPercentSign_WithoutDecodingItTwice()
    {
        // Sent as %2541; the host makes it %41, which must stay as it is rather than become 'A'.
        var store = _host.Services.GetRequiredService<UpgradeStateStore>();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-p", "op%41", "sub-p")), CancellationToken.None);

        using var response = await _host.Client.GetAsync("/api/upgrades/" + Uri.EscapeDataString("op%41"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("op%41", body.RootElement.GetProperty("operationId").GetString());
    }

    [Fact]
    public async Task GetCsv_ExportsATaskWhoseIdHoldsASlash_ThroughItsPercentEncodedId()
    {
        using var response = await _host.Client.GetAsync("/api/upgrades/op%2Fslash%2Fx/subtasks.csv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("dev/slash/x,sub/slash/x,", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("op%2Fslash%2Fx-subtasks.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }

    [Fact]
    public async Task GetDevice_FindsADeviceWhoseIdHoldsASlash_ThroughItsPercentEncodedId()
    {
        using var response = await _host.Client.GetAsync("/api/devices/dev%2Fslash%2Fx/upgrades");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(DeviceId, body.RootElement.GetProperty("deviceId").GetString());
        Assert.Equal(OperationId, Assert.Single(body.RootElement.GetProperty("subTasks").EnumerateArray()).GetProperty("operationId").GetString());
    }

    [Fact]
    public async Task PostReconciliation_QueuesForTheDecodedId_AsTheCliSendsIt()
    {
        using var content = new StringContent(
            """{"appId":"app-1","subTasks":[{"subOperationId":"sub/slash/x","deviceId":"dev/slash/x","status":"success"}]}""",
            Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

        using var response = await _host.Client.PostAsync($"/api/upgrades/{Uri.EscapeDataString(OperationId)}/reconciliations", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(OperationId, body.RootElement.GetProperty("operationId").GetString());
        var queue = new QueueClient(AzuriteServer.ConnectionString, _queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var message = Assert.Single((await queue.PeekMessagesAsync()).Value);
        Assert.Contains("\"op/slash/x\"", message.Body.ToString(), StringComparison.Ordinal);
    }
}
