using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>
/// Ids in the route and in the reconciliation body are checked as the receiver checks a push's ids: what the receiver
/// would refuse, or what would poison the table later, is a 400 naming the field before anything is read or queued.
/// </summary>
public sealed class RouteIdentifierTests : IAsyncLifetime
{
    private readonly string _queueName = AzuriteServer.NewName("rid-");
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = MessageReceiverIntegrationTests.Settings(AzuriteServer.ConnectionString, _queueName);
        settings["Upgrades:TableName"] = AzuriteServer.NewName("rid");
        settings["Events:QueueName"] = "";
        _host = await FunctionsTestHost.StartAsync(settings);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static readonly string TooLong = new('o', 1500);

    private const string OneSubTask =
        """{"appId":"app-1","subTasks":[{"subOperationId":"s1","deviceId":"d1","status":"success"}]}""";

    private async Task<int> QueuedAsync()
    {
        var queue = new QueueClient(AzuriteServer.ConnectionString, _queueName);
        await queue.CreateIfNotExistsAsync();
        return (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }

    private static async Task<(HttpStatusCode Status, string? Type, string Fields)> ProblemOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return (response.StatusCode, null, "");
        }

        using var problem = JsonDocument.Parse(text);
        var fields = problem.RootElement.TryGetProperty("errors", out var errors)
            ? string.Join(",", errors.EnumerateArray().Select(e => e.GetProperty("field").GetString()))
            : "";
        return (response.StatusCode, problem.RootElement.GetProperty("type").GetString(), fields);
    }

    [Theory]
    [InlineData("{\"appId\":\"app-\xFF\xFE\",\"subTasks\":[{\"subOperationId\":\"s1\",\"deviceId\":\"d1\",\"status\":\"success\"}]}", "appId")]
    [InlineData("{\"appId\":\"app-1\",\"kind\":\"soft\xC3\",\"subTasks\":[{\"subOperationId\":\"s1\",\"deviceId\":\"d1\",\"status\":\"success\"}]}", "kind")]
    [InlineData("{\"appId\":\"app-1\",\"subTasks\":[{\"subOperationId\":\"s\xED\xA0\x80\",\"deviceId\":\"d1\",\"status\":\"success\"}]}", "subTasks[0].subOperationId")]
    [InlineData("{\"appId\":\"app-1\",\"subTasks\":[{\"subOperationId\":\"s1\",\"deviceId\":\"d\x80\",\"status\":\"success\"}]}", "subTasks[0].deviceId")]
    public async Task PostReconciliation_Returns400NamingTheField_WhenAStringHoldsInvalidUtf8(string template, string field)
    {
        // The template's \xNN stand for single bytes: the body is sent as raw bytes, not as UTF-8 text.
        var bytes = template.Select(c => checked((byte)c)).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await _host.Client.PostAsync("/api/upgrades/op-u/reconciliations", content);

        Assert.Equal((HttpStatusCode.BadRequest, "urn:swupgradefunc:problem:invalid-reconciliation", field),
            await ProblemOf(response));
        Assert.Equal(0, await QueuedAsync());
    }

    public static TheoryData<string> BadOperationIds() =>
        [new string('o', NotificationParser.MaxIdentifierLength + 1), TooLong, "%20%20"];

    [Theory]
    [MemberData(nameof(BadOperationIds))]
    public async Task PostReconciliation_Returns400NamingOperationId_AndQueuesNothing_WhenThePathIdIsOneTheReceiverRefuses(
        string operationId)
    {
        using var content = new StringContent(OneSubTask, Encoding.UTF8, "application/json");

        using var response = await _host.Client.PostAsync($"/api/upgrades/{operationId}/reconciliations", content);

        Assert.Equal((HttpStatusCode.BadRequest, "urn:swupgradefunc:problem:invalid-reconciliation", "operationId"),
            await ProblemOf(response));
        Assert.Equal(0, await QueuedAsync());
    }

    [Fact]
    public async Task PostReconciliation_AcceptsAnOperationIdOfTheReceiversLongestLength()
    {
        using var content = new StringContent(OneSubTask, Encoding.UTF8, "application/json");

        using var response = await _host.Client.PostAsync(
            $"/api/upgrades/{new string('o', NotificationParser.MaxIdentifierLength)}/reconciliations", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/upgrades/{0}", "operationId")]
    [InlineData("/api/upgrades/{0}/subtasks", "operationId")]
    [InlineData("/api/upgrades/{0}/subtasks.csv", "operationId")]
    [InlineData("/api/devices/{0}/upgrades", "deviceId")]
    public async Task Get_Returns400NamingTheId_WhenThePathIdIsLongerThanTheReceiverTakes(string route, string field)
    {
        using var response = await _host.Client.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, route, TooLong));

        Assert.Equal((HttpStatusCode.BadRequest, "urn:swupgradefunc:problem:invalid-query", field), await ProblemOf(response));
    }

    [Fact]
    public async Task PostReconciliation_Returns400NamingStopTime_WhenItHoldsNonAsciiDigits()
    {
        // Guards the time parser: it reads ASCII digits only, so a full-width date is a bad field, never a 500.
        using var content = new StringContent(
            """{"appId":"app-1","subTasks":[{"subOperationId":"s1","deviceId":"d1","status":"success","stopTime":"２０２６1126T101500Z"}]}""",
            Encoding.UTF8, "application/json");

        using var response = await _host.Client.PostAsync("/api/upgrades/op-t/reconciliations", content);

        Assert.Equal((HttpStatusCode.BadRequest, "urn:swupgradefunc:problem:invalid-reconciliation", "subTasks[0].stopTime"),
            await ProblemOf(response));
    }
}
