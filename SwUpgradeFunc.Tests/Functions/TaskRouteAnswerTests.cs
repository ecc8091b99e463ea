using System.Net;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>
/// Every route under /api/upgrades/{operationId} refuses a bad id and answers a task with nothing recorded with the
/// same problem, to the byte: clients (the CLI, the page, scripts) match on these answers whichever route they call.
/// </summary>
public sealed class TaskRouteAnswerTests : IAsyncLifetime
{
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StatusApiHost.StartAsync("traapi");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string> TaskRoutes() => new()
    {
        { "GET", "/api/upgrades/{0}" },
        { "GET", "/api/upgrades/{0}/subtasks" },
        { "GET", "/api/upgrades/{0}/subtasks.csv" },
        { "GET", "/api/upgrades/{0}/timeline" },
        { "GET", "/api/upgrades/{0}/failures" },
        { "GET", "/api/upgrades/{0}/versions" },
        { "DELETE", "/api/upgrades/{0}" },
    };

    private async Task<HttpResponseMessage> SendAsync(string method, string route, string operationId)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method),
            string.Format(System.Globalization.CultureInfo.InvariantCulture, route, operationId));
        return await _host.Client.SendAsync(request);
    }

    [Theory]
    [MemberData(nameof(TaskRoutes))]
    public async Task Route_Returns404UnknownOperationProblem_WhenNoPushWasRecordedForTheTask(string method, string route)
    {
        using var response = await SendAsync(method, route, "op-never-pushed");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal(
            """{"type":"urn:swupgradefunc:problem:unknown-operation","title":"Unknown upgrade task","status":404,"detail":"No push has been recorded for this operationId."}""",
            await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(TaskRoutes))]
    public async Task Route_Returns400InvalidQueryNamingOperationId_WhenTheIdIsLongerThanTheReceiverTakes(string method, string route)
    {
        using var response = await SendAsync(method, route, new string('o', 257));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(
            """{"type":"urn:swupgradefunc:problem:invalid-query","title":"Invalid query parameters","status":400,"detail":"operationId is longer than 256 characters","errors":[{"field":"operationId","problem":"is longer than 256 characters"}]}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Timeline_Returns400NamingTheIdThenTheInterval_WhenBothAreBad()
    {
        using var response = await SendAsync("GET", "/api/upgrades/{0}/timeline?interval=PT2H", "%20%20");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            """{"type":"urn:swupgradefunc:problem:invalid-query","title":"Invalid query parameters","status":400,"detail":"operationId must not be empty or whitespace; interval must be one of PT1M, PT1H, P1D","errors":[{"field":"operationId","problem":"must not be empty or whitespace"},{"field":"interval","problem":"must be one of PT1M, PT1H, P1D"}]}""",
            await response.Content.ReadAsStringAsync());
    }
}
