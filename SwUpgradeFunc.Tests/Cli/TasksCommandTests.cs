using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwUpgrade.Cli;
using SwUpgradeFunc.Tests.Functions;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Cli;

/// <summary><c>swupgrade tasks failures</c> against the app in-process on Azurite.</summary>
public sealed class TasksCommandTests : IAsyncLifetime
{
    private const string Op = "op-cli";
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StatusApiHost.StartAsync("cli");
        var store = _host.Services.GetRequiredService<UpgradeStateStore>();

        // Devices 0-2 fail with E-FLASH, 3 with E-NET, 4 without a code (before E-NET on the tie: ordinal order), 5 succeeds.
        for (var d = 0; d < 6; d++)
        {
            var result = Pushes.SwResult(d < 5 ? "FAIL" : "SUCCESS", $"cli-dev-{d}", Op, $"cli-sub-{d}");
            result["errorCode"] = d switch { < 3 => "E-FLASH", 3 => "E-NET", _ => "" };
            result["resultDesc"] = d < 3 ? "flash write error" : "";
            await store.ApplyAsync(Envelopes.Of(result), CancellationToken.None);
        }
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<CliRun> RunAsync(string? functionKey, params string[] args) =>
        CliRun.RunAsync(["tasks", "failures", .. args], new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["SWUPGRADE_STATUS_URL"] = _host.BaseAddress.ToString(),
            ["SWUPGRADE_FUNCTION_KEY"] = functionKey ?? _host.FunctionKey,
        });

    [Fact]
    public async Task Failures_PrintsTheReasonsAsATable_MostFrequentFirst()
    {
        var run = await RunAsync(null, "--operation-id", Op);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.All);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"Upgrade task {Op}: 5 failed sub-task(s), 3 error code(s).", lines[0]);
        Assert.Matches(@"^ERROR CODE\s+FAILED\s+SHARE\s+DESCRIPTION\s+SAMPLE DEVICES$", lines[1]);
        Assert.Matches(@"^E-FLASH\s+3\s+60\.0%\s+flash write error\s+cli-dev-0, cli-dev-1, cli-dev-2$", lines[2]);
        Assert.Matches(@"^\(none\)\s+1\s+20\.0%\s+-\s+cli-dev-4$", lines[3]);
        Assert.Matches(@"^E-NET\s+1\s+20\.0%\s+-\s+cli-dev-3$", lines[4]);
        Assert.Equal(5, lines.Length);
        Assert.DoesNotContain(_host.FunctionKey, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failures_WithJson_PrintsTheApisAnswer()
    {
        var run = await RunAsync(null, "--operation-id", Op, "--json");
        using var api = await _host.Client.GetAsync($"/api/upgrades/{Op}/failures");
        using var expected = JsonDocument.Parse(await api.Content.ReadAsStringAsync());

        Assert.True(run.ExitCode == ExitCodes.Ok, run.All);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        foreach (var property in expected.RootElement.EnumerateObject())
        {
            Assert.True(JsonElement.DeepEquals(property.Value, json.RootElement.GetProperty(property.Name)), property.Name);
        }
    }

    [Fact]
    public async Task Failures_WithoutAnOperationId_IsABadArgument_NamingTheFlag()
    {
        var run = await RunAsync(null);

        Assert.Equal(ExitCodes.BadArguments, run.ExitCode);
        Assert.Contains("--operation-id", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public async Task Failures_OfAnUnknownTask_IsAStatusApiFailure_SayingSo()
    {
        var run = await RunAsync(null, "--operation-id", "op-nobody", "--json");

        Assert.Equal(ExitCodes.StatusApiFailed, run.ExitCode);
        Assert.Contains("no upgrade task 'op-nobody'", run.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("status-api-failed", json.RootElement.GetProperty("error").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Failures_WithAWrongKey_NamesTheKeysFlag_WithoutPrintingTheKey()
    {
        var run = await RunAsync("not-the-key-123", "--operation-id", Op);

        Assert.Equal(ExitCodes.StatusApiFailed, run.ExitCode);
        Assert.Contains("--function-key", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-key-123", run.All, StringComparison.Ordinal);
    }
}
