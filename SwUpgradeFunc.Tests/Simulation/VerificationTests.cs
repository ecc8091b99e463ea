using System.Net;
using System.Text;
using System.Text.Json;
using SwUpgrade.Cli.Simulation;

namespace SwUpgradeFunc.Tests.Simulation;

public class VerificationTests
{
    private static readonly Dictionary<string, ExpectedDevice> Expected = new()
    {
        ["s1"] = new ExpectedDevice("d1", "s1", "succeeded"),
        ["s2"] = new ExpectedDevice("d2", "s2", "failed"),
        ["s3"] = new ExpectedDevice("d3", "s3", "succeeded"),
    };

    [Fact]
    public void Every_device_in_its_final_phase_is_nothing_lost()
    {
        var result = VerificationResult.Compare(Expected,
            new Dictionary<string, string?> { ["s1"] = "succeeded", ["s2"] = "failed", ["s3"] = "succeeded" });

        Assert.True(result.AllReached);
        Assert.Equal(3, result.Reached);
        Assert.Empty(result.Mismatches);
    }

    [Fact]
    public void A_device_unknown_to_the_status_api_is_missing_and_one_in_another_phase_is_a_mismatch()
    {
        var result = VerificationResult.Compare(Expected,
            new Dictionary<string, string?> { ["s1"] = "succeeded", ["s2"] = "idle", ["other"] = "succeeded" });

        Assert.False(result.AllReached);
        Assert.Equal(1, result.Reached);
        Assert.Equal(1, result.Missing);
        Assert.Equal(1, result.Unexpected);
        Assert.Contains(result.Mismatches, m => m.SubOperationId == "s2" && m.ExpectedPhase == "failed" && m.ActualPhase == "idle");
        Assert.Contains(result.Mismatches, m => m.SubOperationId == "s3" && m.ActualPhase is null);
    }

    [Fact]
    public void A_status_page_gives_the_phase_of_each_sub_task_and_the_continuation()
    {
        using var page = JsonDocument.Parse("""
            {"operationId":"op","total":2,"phases":{"succeeded":1,"idle":1},
             "subTasks":[{"deviceId":"d1","subOperationId":"s1","kind":"software","phase":"succeeded"},
                         {"deviceId":"d2","subOperationId":"s2","kind":"firmware","phase":null}],
             "continuationToken":"next-page"}
            """);
        var phases = new Dictionary<string, string?>();

        var next = StatusVerifier.ReadPage(page.RootElement, phases);

        Assert.Equal("next-page", next);
        Assert.Equal("succeeded", phases["s1"]);
        Assert.Null(phases["s2"]);
    }

    [Fact]
    public async Task The_verifier_follows_every_page_and_sends_the_function_key()
    {
        var requests = new List<HttpRequestMessage>();
        using var handler = new StubHandler(request =>
        {
            requests.Add(request);
            var body = request.RequestUri!.Query.Contains("continuationToken=p2", StringComparison.Ordinal)
                ? """{"subTasks":[{"subOperationId":"s2","phase":"failed"},{"subOperationId":"s3","phase":"succeeded"}]}"""
                : """{"subTasks":[{"subOperationId":"s1","phase":"succeeded"}],"continuationToken":"p2"}""";
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        });
        using var http = new HttpClient(handler);

        var result = await new StatusVerifier(http).VerifyAsync(new Uri("http://127.0.0.1:7071/"), "key-1", "op 1", Expected,
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));

        Assert.True(result.AllReached);
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal("key-1", r.Headers.GetValues("x-functions-key").Single()));
        Assert.Equal("/api/upgrades/op%201", requests[0].RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task An_unknown_task_reads_as_nothing_arrived()
    {
        using var handler = new StubHandler(_ => NotFound(
            """{"type":"urn:swupgradefunc:problem:unknown-operation","title":"Unknown upgrade task","status":404}""",
            "application/problem+json"));
        using var http = new HttpClient(handler);

        var phases = await new StatusVerifier(http).ReadPhasesAsync(new Uri("http://127.0.0.1:7071/"), null, "op", CancellationToken.None);

        Assert.Empty(phases);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("<html>Not Found</html>", "text/html")]
    [InlineData("""{"type":"urn:swupgradefunc:problem:unknown-device","status":404}""", "application/problem+json")]
    [InlineData("""{"type":"urn:swupgradefunc:problem:unknown-operation","status":404}""", "text/plain")]
    [InlineData("""{"type":"urn:swupgradefunc:problem:unknown-operation""", "application/problem+json")]
    public async Task A_404_that_is_not_the_unknown_operation_problem_is_an_unreadable_status_api_naming_the_url(string? body, string? mediaType)
    {
        using var handler = new StubHandler(_ => NotFound(body, mediaType));
        using var http = new HttpClient(handler);

        var error = await Assert.ThrowsAsync<StatusApiException>(() =>
            new StatusVerifier(http).ReadPhasesAsync(new Uri("http://127.0.0.1:7071/api/"), null, "op", CancellationToken.None));

        Assert.Contains("404", error.Message, StringComparison.Ordinal);
        Assert.Contains("GET http://127.0.0.1:7071/api/api/upgrades/op", error.Message, StringComparison.Ordinal);
    }

    private static HttpResponseMessage NotFound(string? body, string? mediaType) => new(HttpStatusCode.NotFound)
    {
        Content = body is null ? new ByteArrayContent([]) : new StringContent(body, Encoding.UTF8, mediaType!),
    };
}

/// <summary>An HTTP handler that answers from a function, for tests that must not open sockets.</summary>
internal sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(answer(request));
}
