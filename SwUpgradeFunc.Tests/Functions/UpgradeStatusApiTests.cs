using System.Net;
using System.Text.Json;
using CsvHelper;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Tests.Upgrades;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>The task list, the filtered sub-task lists and the CSV export over HTTP, against Azurite.</summary>
public sealed class UpgradeStatusApiTests : IAsyncLifetime
{
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = StatusApiHost.Settings("api");
        settings["Upgrades:FailureRateMinSettled"] = "4";
        settings["Upgrades:FailureRateThreshold"] = "0.2";
        _host = await FunctionsTestHost.StartAsync(settings);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private UpgradeStateStore Store => _host.Services.GetRequiredService<UpgradeStateStore>();

    private async Task<(HttpStatusCode Status, string Body, string? ContentType)> Get(string path)
    {
        using var response = await _host.Client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
    }

    /// <summary>Ten devices: 0-4 succeed, 5-6 fail, 7-8 stop at updating, 9 only reported an unknown state.</summary>
    private async Task SeedAsync(string operationId, string resultDesc = "upgrade finished")
    {
        for (var d = 0; d < 9; d++)
        {
            var lifecycle = Envelopes.Lifecycle(false, d is 5 or 6 ? "FAIL" : "SUCCESS", deviceId: $"{operationId}-dev-{d}", operationId: operationId);
            foreach (var envelope in d < 7 ? lifecycle.Take(4) : lifecycle.Take(3))
            {
                await Store.ApplyAsync(envelope, CancellationToken.None);
            }

            if (d < 7)
            {
                var result = Pushes.SwResult(d is 5 or 6 ? "FAIL" : "SUCCESS", $"{operationId}-dev-{d}", operationId, $"sub-{operationId}-dev-{d}");
                result["resultDesc"] = resultDesc;
                await Store.ApplyAsync(Envelopes.Of(result), CancellationToken.None);
            }
        }

        await Store.ApplyAsync(Envelopes.Of(Pushes.SwState("otacreated", $"{operationId}-dev-9", operationId, $"sub-{operationId}-dev-9")),
            CancellationToken.None);
    }

    [Theory]
    [InlineData("/api/upgrades?pageSize=0", "pageSize")]
    [InlineData("/api/upgrades?pageSize=101", "pageSize")]
    [InlineData("/api/upgrades?stalledAfter=PT30S", "stalledAfter")]
    [InlineData("/api/upgrades?continuationToken=xyz", "continuationToken")]
    [InlineData("/api/upgrades?phase=failed", "phase")]
    [InlineData("/api/upgrades/op-v?pageSize=abc", "pageSize")]
    [InlineData("/api/upgrades/op-v?pageSize=1001", "pageSize")]
    [InlineData("/api/upgrades/op-v?stalledAfter=1h", "stalledAfter")]
    [InlineData("/api/upgrades/op-v?stalledAfter=P31D", "stalledAfter")]
    [InlineData("/api/upgrades/op-v?stalledAfter=P1M", "stalledAfter")]
    [InlineData("/api/upgrades/op-v?stalledAfter=-PT1H", "stalledAfter")]
    [InlineData("/api/upgrades/op-v?continuationToken=bm90IG91cnM", "continuationToken")]
    [InlineData("/api/upgrades/op-v/subtasks?phase=done", "phase")]
    [InlineData("/api/upgrades/op-v/subtasks?phase=FAILED", "phase")]
    [InlineData("/api/upgrades/op-v/subtasks?pageSize=-1", "pageSize")]
    [InlineData("/api/upgrades/op-v/subtasks?phase=stalled&stalledAfter=PT", "stalledAfter")]
    [InlineData("/api/upgrades/op-v/subtasks?continuationToken=%25%25", "continuationToken")]
    [InlineData("/api/upgrades/op-v/subtasks.csv?phase=settled", "phase")]
    [InlineData("/api/upgrades/op-v/subtasks.csv?stalledAfter=P1Y", "stalledAfter")]
    [InlineData("/api/upgrades/op-v/subtasks.csv?pageSize=0", "pageSize")]
    [InlineData("/api/upgrades/op-v/subtasks.csv?continuationToken=MgpYCjAK", "continuationToken")]
    public async Task EveryRoute_Returns400NamingTheParameter_ForABadValue(string path, string field)
    {
        // Parameters are checked before the task is looked up: the task need not exist.
        var (status, body, contentType) = await Get(path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", contentType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(field, Assert.Single(problem.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
    }

    /// <summary>
    /// A token this API issued, re-encoded with one part changed: the bucket at and past the bounds (0..31 are real), or
    /// a token of the right encoding but the wrong shape. Each is a 400 naming the parameter, never a 500 or an empty 200.
    /// </summary>
    [Theory]
    [InlineData("bucket", "32")]
    [InlineData("bucket", "-1")]
    [InlineData("bucket", "2147483648")]
    [InlineData("bucket", " 3")]
    [InlineData("bucket", "")]
    [InlineData("version", "1")]
    [InlineData("version", "2")]
    [InlineData("parts", "3")]
    [InlineData("parts", "5")]
    public async Task ContinuationToken_WithABucketOutOfRangeOrTheWrongShape_Is400(string part, string value)
    {
        await SeedAsync("op-shape");
        var token = await FirstTokenAsync("op-shape");
        var parts = UpgradeStateStoreRequestTests.Decode(token).ToList();
        switch (part)
        {
            case "bucket":
                parts[2] = value;
                break;
            case "version":
                parts[0] = value;
                break;
            default:
                parts = value == "3" ? parts[..3] : [.. parts, ""];
                break;
        }

        var (status, body, contentType) = await Get("/api/upgrades/op-shape/subtasks?pageSize=2&continuationToken=" +
                                                     Uri.EscapeDataString(UpgradeStateStoreRequestTests.Encode(parts)));

        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (status, contentType));
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("continuationToken", Assert.Single(problem.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public async Task ContinuationToken_ForTheFirstAndLastBucket_IsServed(int bucket)
    {
        await SeedAsync("op-edge");
        var parts = UpgradeStateStoreRequestTests.Decode(await FirstTokenAsync("op-edge"));
        parts[2] = bucket.ToString(System.Globalization.CultureInfo.InvariantCulture);
        parts[3] = "";

        var (status, body, _) = await Get("/api/upgrades/op-edge/subtasks?pageSize=100&continuationToken=" +
                                          Uri.EscapeDataString(UpgradeStateStoreRequestTests.Encode(parts)));

        Assert.Equal(HttpStatusCode.OK, status);
        using var page = JsonDocument.Parse(body);
        var served = page.RootElement.GetProperty("subTasks").EnumerateArray()
            .Select(s => s.GetProperty("subOperationId").GetString()!).ToList();
        var expected = Enumerable.Range(0, 10).Select(d => $"sub-op-edge-dev-{d}")
            .Where(sub => StorageKeys.BucketOf(sub) >= bucket).Order(StringComparer.Ordinal);
        Assert.Equal(expected, served.Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Null, page.RootElement.TryGetProperty("continuationToken", out var next) ? next.ValueKind : JsonValueKind.Null);
    }

    /// <summary>
    /// <c>active</c> reads the five unsettled phases' key ranges in each bucket: its tokens count 32 x 5 segments, the
    /// last one served, one past it refused.
    /// </summary>
    [Theory]
    [InlineData("159", HttpStatusCode.OK)]
    [InlineData("160", HttpStatusCode.BadRequest)]
    [InlineData("32", HttpStatusCode.OK)]
    public async Task ContinuationToken_OfActive_CountsBucketsTimesUnsettledPhases(string segment, HttpStatusCode expected)
    {
        await SeedAsync("op-seg");
        using var first = JsonDocument.Parse((await Get("/api/upgrades/op-seg/subtasks?phase=active&pageSize=1")).Body);
        var parts = UpgradeStateStoreRequestTests.Decode(first.RootElement.GetProperty("continuationToken").GetString()!);
        parts[2] = segment;
        parts[3] = "";

        var (status, body, _) = await Get("/api/upgrades/op-seg/subtasks?phase=active&pageSize=100&continuationToken=" +
                                          Uri.EscapeDataString(UpgradeStateStoreRequestTests.Encode(parts)));

        Assert.Equal(expected, status);
        if (expected == HttpStatusCode.OK)
        {
            // From segment s on: the unsettled rows of buckets after s / 5, and of bucket s / 5 the phases from s % 5 on.
            var unsettled = new[] { "downloading", "downloaded", "updating", "idle", "none" };
            var seg = int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture);
            var progress = (await Store.GetTaskAsync("op-seg", 100, null, CancellationToken.None))!;
            var expectedSubs = progress.SubTasks
                .Where(r => r.Phase is not ("succeeded" or "failed"))
                .Where(r => StorageKeys.BucketOf(r.SubOperationId) * 5 + Array.IndexOf(unsettled, r.Phase) >= seg)
                .Select(r => r.SubOperationId).Order(StringComparer.Ordinal);
            using var page = JsonDocument.Parse(body);
            Assert.Equal(expectedSubs, page.RootElement.GetProperty("subTasks").EnumerateArray()
                .Select(s => s.GetProperty("subOperationId").GetString()).Order(StringComparer.Ordinal));
        }
    }

    private async Task<string> FirstTokenAsync(string operationId)
    {
        using var page = JsonDocument.Parse((await Get($"/api/upgrades/{operationId}/subtasks?pageSize=2")).Body);
        return page.RootElement.GetProperty("continuationToken").GetString()!;
    }

    [Fact]
    public async Task ContinuationToken_OfOnePhase_IsRefusedForAnother()
    {
        await SeedAsync("op-t");
        using var page = JsonDocument.Parse((await Get("/api/upgrades/op-t/subtasks?phase=succeeded&pageSize=1")).Body);
        var token = page.RootElement.GetProperty("continuationToken").GetString()!;

        var (status, body, _) = await Get("/api/upgrades/op-t/subtasks?phase=failed&continuationToken=" + Uri.EscapeDataString(token));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("continuationToken", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_CarriesCountsStalledAndTheFailureSignal()
    {
        await SeedAsync("op-p");

        var (status, body, _) = await Get("/api/upgrades/op-p?stalledAfter=PT30M");

        Assert.Equal(HttpStatusCode.OK, status);
        var root = JsonDocument.Parse(body).RootElement;
        var phases = root.GetProperty("phases");
        Assert.Equal((5, 2, 2, 1), (phases.GetProperty("succeeded").GetInt32(), phases.GetProperty("failed").GetInt32(),
            phases.GetProperty("updating").GetInt32(), phases.GetProperty("none").GetInt32()));
        Assert.Equal((10, 3, 7), (root.GetProperty("total").GetInt32(), root.GetProperty("active").GetInt32(), root.GetProperty("settled").GetInt32()));
        // The pushes are dated 09:00 on the test's day: the three unsettled sub-tasks are stalled.
        Assert.Equal(3, root.GetProperty("stalled").GetInt32());
        Assert.Equal("PT30M", root.GetProperty("stalledAfter").GetString());
        Assert.Equal(0.2857, root.GetProperty("failureRate").GetDouble());
        Assert.True(root.GetProperty("alert").GetBoolean());
        Assert.Equal(0.2, root.GetProperty("failureRateThreshold").GetDouble());
        Assert.Equal(10, root.GetProperty("subTasks").GetArrayLength());
        Assert.Equal("software", root.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task SubTasks_FilteredByPhase_ActiveAndStalled_ReturnOnlyThoseRows()
    {
        await SeedAsync("op-f");

        async Task<string[]> Devices(string query)
        {
            var (status, body, _) = await Get("/api/upgrades/op-f/subtasks?" + query);
            Assert.Equal(HttpStatusCode.OK, status);
            return [.. JsonDocument.Parse(body).RootElement.GetProperty("subTasks").EnumerateArray()
                .Select(r => r.GetProperty("deviceId").GetString()!).Order(StringComparer.Ordinal)];
        }

        Assert.Equal(["op-f-dev-5", "op-f-dev-6"], await Devices("phase=failed"));
        Assert.Equal(["op-f-dev-9"], await Devices("phase=none"));
        Assert.Equal(["op-f-dev-7", "op-f-dev-8", "op-f-dev-9"], await Devices("phase=active"));
        Assert.Equal(["op-f-dev-7", "op-f-dev-8", "op-f-dev-9"], await Devices("phase=stalled&stalledAfter=PT1H"));
        Assert.Empty(await Devices("phase=downloaded"));
        Assert.Equal(10, (await Devices("")).Length);
    }

    [Fact]
    public async Task TaskList_ShowsTheMostRecentlyActiveTaskFirst_WithItsCounts()
    {
        await SeedAsync("op-older");
        await Store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "late", "op-newer", "s-late"), DateTimeOffset.UtcNow),
            CancellationToken.None);

        var (status, body, _) = await Get("/api/upgrades?pageSize=1");

        Assert.Equal(HttpStatusCode.OK, status);
        var root = JsonDocument.Parse(body).RootElement;
        var task = Assert.Single(root.GetProperty("tasks").EnumerateArray());
        Assert.Equal(("op-newer", 1, 0), (task.GetProperty("operationId").GetString(), task.GetProperty("total").GetInt32(),
            task.GetProperty("stalled").GetInt32()));
        Assert.Equal(JsonValueKind.Null, task.GetProperty("failureRate").ValueKind);
        var next = root.GetProperty("continuationToken").GetString()!;
        var second = JsonDocument.Parse((await Get("/api/upgrades?pageSize=1&continuationToken=" + Uri.EscapeDataString(next))).Body).RootElement;
        var older = Assert.Single(second.GetProperty("tasks").EnumerateArray());
        Assert.Equal(("op-older", 10, 7), (older.GetProperty("operationId").GetString(), older.GetProperty("total").GetInt32(),
            older.GetProperty("settled").GetInt32()));
    }

    [Fact]
    public async Task Csv_ParsedBack_EqualsTheApisRows_WithFormulaCellsNeutralised()
    {
        const string desc = "=HYPERLINK(\"http://x\"), \"quoted\"\nsecond line";
        await SeedAsync("op-csv", desc);
        var rows = new List<JsonElement>();
        string? token = null;
        do
        {
            var body = (await Get("/api/upgrades/op-csv/subtasks?pageSize=3" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)))).Body;
            var page = JsonDocument.Parse(body).RootElement;
            rows.AddRange(page.GetProperty("subTasks").EnumerateArray());
            token = page.GetProperty("continuationToken").GetString();
        }
        while (token is not null);

        var (status, csvText, contentType) = await Get("/api/upgrades/op-csv/subtasks.csv?pageSize=4");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/csv; charset=utf-8", contentType);
        using var reader = CsvReader.FromText(csvText, null);
        Assert.Equal(CsvAnswer.Columns, reader.Headers);
        var parsed = new List<string[]>();
        while (reader.Read())
        {
            parsed.Add([.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetString)]);
        }

        var expected = rows.Select(r => CsvAnswer.Columns.Select(c => r.GetProperty(c) switch
        {
            { ValueKind: JsonValueKind.Null } => "",
            var v when c is "firstUpdate" or "lastUpdate" => v.GetDateTimeOffset().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            var v => CsvAnswer.Neutralise(v.GetString()) ?? "",
        }).ToArray()).ToList();
        Assert.Equal(expected, parsed);
        Assert.Equal(7, parsed.Count(p => p[7] == "'" + desc));
    }

    [Fact]
    public async Task UnknownTask_Is404_OnEveryTaskRoute()
    {
        foreach (var path in new[] { "/api/upgrades/op-none", "/api/upgrades/op-none/subtasks?phase=failed", "/api/upgrades/op-none/subtasks.csv" })
        {
            var (status, body, _) = await Get(path);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Contains("unknown-operation", body, StringComparison.Ordinal);
        }
    }
}
