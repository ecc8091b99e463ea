using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Reconciliation;

/// <summary>POST /api/upgrades/{operationId}/reconciliations in-process on Azurite.</summary>
public sealed class ReconciliationRouteTests : IAsyncLifetime
{
    private readonly string _queueName = AzuriteServer.NewName("recroute-");
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync() => _host = await FunctionsTestHost.StartAsync(new Dictionary<string, string?>
    {
        ["SwUpgradeStorage"] = AzuriteServer.ConnectionString,
        ["NotificationsQueueName"] = _queueName,
        ["Upgrades:TableName"] = AzuriteServer.NewName("recroute"),
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonDocument Body)> PostAsync(string path, string body, string contentType = "application/json")
    {
        using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType));
        using var response = await _host.Client.PostAsync(path, content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    private async Task<int> QueuedAsync()
    {
        var queue = new QueueClient(AzuriteServer.ConnectionString, _queueName);
        await queue.CreateIfNotExistsAsync();
        return (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }

    [Fact]
    public async Task Post_QueuesOneMessagePerSubTask_AndAnswers202()
    {
        var (status, body) = await PostAsync("/api/upgrades/op-r/reconciliations",
            """{"appId":"app-1","kind":"firmware","subTasks":[{"subOperationId":"s1","deviceId":"d1","status":"success","stopTime":"20261126T101500Z"},{"subOperationId":"s2","deviceId":"d2","status":"FAIL"}]}""");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(("op-r", 2), (body.RootElement.GetProperty("operationId").GetString(), body.RootElement.GetProperty("accepted").GetInt32()));
        Assert.Equal(2, await QueuedAsync());
    }

    [Fact]
    public async Task Post_NamesEachBadField_AndQueuesNothing()
    {
        var (status, body) = await PostAsync("/api/upgrades/op-r/reconciliations",
            """{"kind":"other","subTasks":[{"subOperationId":"s1","deviceId":"d1","status":"processing"},{"deviceId":"d2","status":"success","stopTime":"2026-11-26T10:15:00Z"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("urn:swupgradefunc:problem:invalid-reconciliation", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(["appId", "kind", "subTasks[0].status", "subTasks[1].subOperationId", "subTasks[1].stopTime"],
            body.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        Assert.Equal(0, await QueuedAsync());
    }

    [Theory]
    [InlineData("""{"appId":"a","subTasks":[]}""", "subTasks")]
    [InlineData("""[1]""", "body")]
    [InlineData("""{"appId":"a","subTasks":""", "body")]
    public async Task Post_RefusesABodyWithoutSubTasks(string json, string field)
    {
        var (status, body) = await PostAsync("/api/upgrades/op-r/reconciliations", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, body.RootElement.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Post_RefusesAnotherContentType()
    {
        var (status, _) = await PostAsync("/api/upgrades/op-r/reconciliations", "appId=a", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    [Fact]
    public async Task TheReceiver_DoesNotQueueAPushPretendingToBeAReconciliation()
    {
        using var content = new StringContent(
            """{"notifyType":"reconciliation","deviceId":"d1","appId":"a","operationId":"op-r","subOperationId":"s1"}""",
            Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await _host.Client.PostAsync("/v1.0.0/messageReceiver", content);

        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, await QueuedAsync());
    }
}
