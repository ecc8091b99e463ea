using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>DELETE /api/upgrades/{operationId} over HTTP, against Azurite, with a fake clock for the settle time.</summary>
public sealed class TaskDeletionApiTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));
    private readonly string _tableName = AzuriteServer.NewName("delapi");
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = StatusApiHost.Settings("delapi");
        settings["Upgrades:TableName"] = _tableName;
        _host = await FunctionsTestHost.StartAsync(settings, services => services.AddSingleton<TimeProvider>(_time));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private UpgradeStateStore Store => _host.Services.GetRequiredService<UpgradeStateStore>();

    private async Task SeedAsync(string operationId, int devices)
    {
        for (var d = 0; d < devices; d++)
        {
            await Store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", $"{operationId}-dev-{d}", operationId, $"sub-{d}")), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Delete_Answers202WithProgress_ThenGetIs404_AndTheClientRepeatsUntil204()
    {
        await SeedAsync("op-api", 5);
        var table = new Azure.Data.Tables.TableClient(AzuriteServer.ConnectionString, _tableName);
        var inBuckets = 0;
        await foreach (var _ in table.QueryAsync<Azure.Data.Tables.TableEntity>(
            "PartitionKey ge 'op|op-api|' and PartitionKey lt 'op|op-api}'", select: ["RowKey"]))
        {
            inBuckets++;
        }

        using var first = await _host.Client.DeleteAsync("/api/upgrades/op-api");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("/api/upgrades/op-api", first.Headers.Location?.OriginalString);
        Assert.Equal(TimeSpan.FromSeconds(1), first.Headers.RetryAfter?.Delta);
        using var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        Assert.Equal("op-api", body.RootElement.GetProperty("operationId").GetString());
        Assert.False(body.RootElement.GetProperty("done").GetBoolean());
        // Every row of the buckets (5 sub-task and index rows, 96 counter rows, the timeline rows), the 5 device-index
        // rows and the activity row.
        Assert.True(inBuckets >= 5 * 2 + 96, $"{inBuckets} rows in the buckets");
        Assert.Equal(inBuckets + 5 + 1, body.RootElement.GetProperty("deletedRows").GetInt32());
        using (var hidden = await _host.Client.GetAsync("/api/upgrades/op-api"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }

        foreach (var read in new[] { "timeline", "failures", "versions", "subtasks" })
        {
            using var hiddenRead = await _host.Client.GetAsync($"/api/upgrades/op-api/{read}");
            Assert.True(hiddenRead.StatusCode == HttpStatusCode.NotFound, $"/{read} answered {hiddenRead.StatusCode}");
        }

        _time.Advance(TimeSpan.FromSeconds(20));
        using var last = await _host.Client.DeleteAsync("/api/upgrades/op-api");
        using var again = await _host.Client.DeleteAsync("/api/upgrades/op-api");

        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task Delete_Returns404Problem_WhenTaskIsUnknown()
    {
        using var response = await _host.Client.DeleteAsync("/api/upgrades/op-nobody");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:swupgradefunc:problem:unknown-operation", problem.RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("%20")]
    [InlineData("x")]
    public async Task Delete_Returns400Problem_NamingOperationId_ForABadId(string id)
    {
        var path = "/api/upgrades/" + (id == "x" ? new string('x', 300) : id);

        using var response = await _host.Client.DeleteAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("operationId", Assert.Single(problem.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Delete_WithoutTheFunctionKey_Is401_AndDeletesNothing()
    {
        await SeedAsync("op-key", 1);
        using var client = _host.CreateClientWithoutKey();

        using var response = await client.DeleteAsync("/api/upgrades/op-key");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotNull(await Store.GetTaskAsync("op-key", 10, null, CancellationToken.None));
    }
}
