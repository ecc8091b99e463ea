using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>GET /api/upgrades/{operationId}/timeline over HTTP, against Azurite.</summary>
public sealed class UpgradeTimelineApiTests : IAsyncLifetime
{
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StatusApiHost.StartAsync("tlapi");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private UpgradeStateStore Store => _host.Services.GetRequiredService<UpgradeStateStore>();

    [Theory]
    [InlineData("PT2H")]
    [InlineData("pt1h")]
    [InlineData("1h")]
    public async Task Get_Returns400NamingInterval_WhenIntervalIsNotOneOfTheThree(string interval)
    {
        using var response = await _host.Client.GetAsync($"/api/upgrades/op-1/timeline?interval={interval}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:swupgradefunc:problem:invalid-query", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal("interval", Assert.Single(problem.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Get_Returns404_WhenTaskIsUnknown()
    {
        using var response = await _host.Client.GetAsync("/api/upgrades/op-nobody/timeline");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:swupgradefunc:problem:unknown-operation", problem.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Get_AnswersHourlyIntervalsByDefault_WithTheSettlesAndPushesOfTheTask()
    {
        var now = DateTimeOffset.UtcNow;
        var at = now.AddMinutes(-3);
        foreach (var (d, result) in new[] { (0, "SUCCESS"), (1, "FAIL"), (2, "") })
        {
            var lifecycle = Envelopes.Lifecycle(false, result.Length == 0 ? "SUCCESS" : result, deviceId: $"tl-{d}", operationId: "op-api",
                withResult: result.Length > 0);
            foreach (var envelope in lifecycle)
            {
                await Store.ApplyAsync(NotificationEnvelope.Create(envelope.Notification, at), CancellationToken.None);
            }
        }

        using var response = await _host.Client.GetAsync("/api/upgrades/op-api/timeline");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;

        Assert.Equal("PT1H", root.GetProperty("interval").GetString());
        Assert.Equal((3, 1, 1, 1), (root.GetProperty("total").GetInt32(), root.GetProperty("succeeded").GetInt32(),
            root.GetProperty("failed").GetInt32(), root.GetProperty("unsettled").GetInt32()));
        var intervals = root.GetProperty("intervals").EnumerateArray().ToList();
        Assert.Equal(1, intervals.Sum(i => i.GetProperty("succeeded").GetInt32()));
        Assert.Equal(1, intervals.Sum(i => i.GetProperty("failed").GetInt32()));
        Assert.Equal(5 + 5 + 4, intervals.Sum(i => i.GetProperty("pushes").GetInt32()));
        // Two settles in the last three minutes, one left: about a minute and a half from now.
        var eta = root.GetProperty("eta").GetDateTimeOffset();
        Assert.InRange(eta, now, now.AddMinutes(3));
    }
}
