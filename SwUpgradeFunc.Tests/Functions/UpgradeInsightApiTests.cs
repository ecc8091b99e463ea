using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>Failure reasons, source versions and the error-code filter over HTTP, from pushes the processor stored in Azurite.</summary>
public sealed class UpgradeInsightApiTests : IAsyncLifetime
{
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StatusApiHost.StartAsync("ins");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private UpgradeStateStore Store => _host.Services.GetRequiredService<UpgradeStateStore>();

    private async Task<(HttpStatusCode Status, string Body, string? ContentType)> Get(string path)
    {
        using var response = await _host.Client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
    }

    /// <summary>
    /// Nine devices: 0-2 fail with E-FLASH (two say "flash write error"), 3-4 with E-NET, 5 without a code, 6-7 succeed
    /// (devices 0, 1 and 6 from 1.0.0, the rest from 1.1.0), 8 is still downloading.
    /// </summary>
    private async Task SeedAsync(string operationId)
    {
        for (var d = 0; d < 9; d++)
        {
            var device = $"{operationId}-dev-{d}";
            var lifecycle = Envelopes.Lifecycle(false, "SUCCESS", deviceId: device, operationId: operationId, withResult: false);
            foreach (var envelope in d == 8 ? lifecycle.Take(1) : lifecycle)
            {
                await Store.ApplyAsync(envelope, CancellationToken.None);
            }

            if (d < 8)
            {
                var result = Pushes.SwResult(d < 6 ? "FAIL" : "SUCCESS", device, operationId, "sub-" + device);
                result["sourceVersion"] = d is 0 or 1 or 6 ? "1.0.0" : "1.1.0";
                result["errorCode"] = d switch { < 3 => "E-FLASH", < 5 => "E-NET", _ => "" };
                result["resultDesc"] = d switch { 0 or 1 => "flash write error", 2 => "flash busy", < 5 => "timeout", 5 => "unknown", _ => "" };
                await Store.ApplyAsync(Envelopes.Of(result), CancellationToken.None);
            }
        }
    }

    [Fact]
    public async Task Failures_GroupsTheFailedSubTasksByErrorCode_MostFrequentFirst()
    {
        await SeedAsync("op-f");

        var (status, body, contentType) = await Get("/api/upgrades/op-f/failures");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json; charset=utf-8", contentType);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal(6, root.GetProperty("failed").GetInt32());
        var reasons = root.GetProperty("reasons").EnumerateArray().ToList();
        Assert.Equal(["E-FLASH", "E-NET", null], reasons.Select(r => r.GetProperty("errorCode").GetString()));
        Assert.Equal([3, 2, 1], reasons.Select(r => r.GetProperty("count").GetInt32()));
        Assert.Equal([0.5, 0.3333, 0.1667], reasons.Select(r => r.GetProperty("share").GetDouble()));
        Assert.Equal(["flash write error", "timeout", "unknown"], reasons.Select(r => r.GetProperty("resultDesc").GetString()));
        Assert.Equal(["op-f-dev-0", "op-f-dev-1", "op-f-dev-2"],
            reasons[0].GetProperty("sampleDeviceIds").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("other").ValueKind);
    }

    [Fact]
    public async Task Versions_CountSucceededAndFailedPerSourceVersion()
    {
        await SeedAsync("op-v");

        var (status, body, _) = await Get("/api/upgrades/op-v/versions");

        Assert.Equal(HttpStatusCode.OK, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(8, json.RootElement.GetProperty("settled").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("uncounted").GetInt32());
        var versions = json.RootElement.GetProperty("versions").EnumerateArray()
            .Select(v => (v.GetProperty("sourceVersion").GetString(), v.GetProperty("succeeded").GetInt32(), v.GetProperty("failed").GetInt32(),
                v.GetProperty("failureRate").GetDouble()));
        Assert.Equal([("1.1.0", 1, 4, 0.8), ("1.0.0", 1, 2, 0.6667)], versions);
    }

    [Fact]
    public async Task SubTasks_FilteredByErrorCode_ListOnlyThatCodesFailedSubTasks_InJsonAndCsv()
    {
        await SeedAsync("op-e");

        var (status, body, _) = await Get("/api/upgrades/op-e/subtasks?errorCode=E-NET");
        var (withPhase, withPhaseBody, _) = await Get("/api/upgrades/op-e/subtasks?phase=failed&errorCode=E-FLASH&pageSize=1");
        var (csvStatus, csv, _) = await Get("/api/upgrades/op-e/subtasks.csv?errorCode=E-FLASH");

        Assert.Equal(HttpStatusCode.OK, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("E-NET", json.RootElement.GetProperty("errorCode").GetString());
        Assert.Equal("failed", json.RootElement.GetProperty("phase").GetString());
        Assert.Equal(["op-e-dev-3", "op-e-dev-4"],
            json.RootElement.GetProperty("subTasks").EnumerateArray().Select(r => r.GetProperty("deviceId").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.OK, withPhase);
        using var first = JsonDocument.Parse(withPhaseBody);
        Assert.Single(first.RootElement.GetProperty("subTasks").EnumerateArray());
        Assert.NotEqual(JsonValueKind.Null, first.RootElement.GetProperty("continuationToken").ValueKind);
        Assert.Equal(HttpStatusCode.OK, csvStatus);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.All(lines.Skip(1), line => Assert.Contains(",E-FLASH,", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ContinuationToken_OfOneErrorCode_IsRefusedForAnother()
    {
        await SeedAsync("op-t");
        var (_, body, _) = await Get("/api/upgrades/op-t/subtasks?errorCode=E-FLASH&pageSize=1");
        var token = JsonDocument.Parse(body).RootElement.GetProperty("continuationToken").GetString();

        var (status, problem, _) = await Get($"/api/upgrades/op-t/subtasks?errorCode=E-NET&continuationToken={token}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("invalid-continuation-token", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/upgrades/op-x/subtasks?errorCode=E1&phase=succeeded")]
    [InlineData("/api/upgrades/op-x/subtasks?errorCode=E1&phase=stalled")]
    [InlineData("/api/upgrades/op-x/subtasks.csv?errorCode=E1&phase=active")]
    [InlineData("/api/upgrades/op-x?errorCode=E1")]
    [InlineData("/api/upgrades?errorCode=E1")]
    public async Task ErrorCode_Is400NamingIt_WhereItCannotApply(string path)
    {
        var (status, body, contentType) = await Get(path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", contentType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("errorCode", Assert.Single(problem.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task ErrorCode_LongerThanAnyThePlatformSends_Is400()
    {
        var (status, body, _) = await Get("/api/upgrades/op-x/subtasks?errorCode=" + new string('E', 257));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"field\":\"errorCode\"", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("failures")]
    [InlineData("versions")]
    public async Task Breakdowns_Are404ForAnUnknownTask_And400ForABadId(string route)
    {
        var (unknown, unknownBody, _) = await Get($"/api/upgrades/op-none/{route}");
        var (bad, badBody, _) = await Get($"/api/upgrades/{new string('o', 257)}/{route}");

        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Contains("unknown-operation", unknownBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("\"field\":\"operationId\"", badBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("failures")]
    [InlineData("versions")]
    public async Task Breakdowns_NeedTheFunctionKey(string route)
    {
        await SeedAsync("op-k");
        using var client = _host.CreateClientWithoutKey();

        using var response = await client.GetAsync($"/api/upgrades/op-k/{route}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
