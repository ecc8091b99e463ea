using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using SwUpgradeFunc.Functions;
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
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await _host.Client.PostAsync(path, content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    private const string OneSubTask =
        """{"appId":"app-1","subTasks":[{"subOperationId":"s1","deviceId":"d1","status":"success"}]}""";

    /// <summary>A valid request padded with spaces inside the JSON to <paramref name="length"/> bytes.</summary>
    private static string Padded(int length) => OneSubTask.Insert(1, new string(' ', length - OneSubTask.Length));

    /// <summary>A body of unknown length, so HttpClient has to send it chunked and only the bytes themselves tell the size.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
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

    /// <summary>The push receiver's rule decides: these start like application/json but are other media types.</summary>
    [Theory]
    [InlineData("application/jsonx")]
    [InlineData("application/jsonfoo")]
    [InlineData("application/json-patch+json")]
    [InlineData("application/json; charset=utf-16")]
    public async Task Post_RefusesAMediaTypeTheReceiverRefuses_AndQueuesNothing(string contentType)
    {
        var (status, body) = await PostAsync("/api/upgrades/op-r/reconciliations", OneSubTask, contentType);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("urn:swupgradefunc:problem:unsupported-media-type", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(0, await QueuedAsync());
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON")]
    public async Task Post_AcceptsTheMediaTypesTheReceiverAccepts(string contentType)
    {
        var (status, _) = await PostAsync("/api/upgrades/op-r/reconciliations", OneSubTask, contentType);

        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    [Fact]
    public async Task Post_TakesABodyOfExactlyTheLimit()
    {
        var (status, _) = await PostAsync("/api/upgrades/op-r/reconciliations", Padded(ReconciliationFunction.MaxBodyBytes));

        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    [Fact]
    public async Task Post_RefusesALargerBody_WithTheReceiversReason_AndQueuesNothing()
    {
        var (status, body) = await PostAsync("/api/upgrades/op-r/reconciliations", Padded(ReconciliationFunction.MaxBodyBytes + 1));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(("urn:swupgradefunc:problem:payload-too-large", "Payload too large"),
            (body.RootElement.GetProperty("type").GetString(), body.RootElement.GetProperty("title").GetString()));
        Assert.Equal(0, await QueuedAsync());
    }

    [Fact]
    public async Task Post_RefusesALargerChunkedBody_WithTheReceiversReason()
    {
        using var content = new ChunkedContent(Encoding.UTF8.GetBytes(Padded(ReconciliationFunction.MaxBodyBytes + 1)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/upgrades/op-r/reconciliations") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:swupgradefunc:problem:payload-too-large", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(0, await QueuedAsync());
    }

    [Theory]
    [InlineData(OneSubTask + " x")]
    [InlineData(OneSubTask + OneSubTask)]
    [InlineData(OneSubTask + "]")]
    [InlineData(OneSubTask + " // comment")]
    public async Task Post_RefusesTextAfterTheJsonValue_AndQueuesNothing(string json)
    {
        var (status, body) = await PostAsync("/api/upgrades/op-r/reconciliations", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("urn:swupgradefunc:problem:invalid-reconciliation", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("body", body.RootElement.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(0, await QueuedAsync());
    }

    [Fact]
    public async Task Post_TakesWhitespaceAfterTheJsonValue()
    {
        var (status, _) = await PostAsync("/api/upgrades/op-r/reconciliations", OneSubTask + " \r\n\t ");

        Assert.Equal(HttpStatusCode.Accepted, status);
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
