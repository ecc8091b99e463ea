using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwUpgrade.Cli;
using SwUpgradeFunc.Events;
using SwUpgradeFunc.Tests.Cli;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Reconciliation;

/// <summary><c>swupgrade reconcile</c> against the fake platform and the app in-process on Azurite.</summary>
public sealed class ReconcileCommandTests : IAsyncLifetime
{
    private readonly RecordingEventPublisher _events = new();
    private ReconciliationScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await ReconciliationScenario.StartAsync(
        configureServices: services => services.AddSingleton<ISettledEventPublisher>(_events));

    private string[] SettledSubjects() => [.. _events.Published.Select(e => e.Subject!).Order(StringComparer.Ordinal)];

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    private async Task<CliRun> RunAsync(params string[] args)
    {
        var fake = _scenario.Platform.Fake;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CliContext
        {
            Stdout = stdout,
            Stderr = stderr,
            Environment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            {
                ["SWUPGRADE_PLATFORM_URL"] = fake.BaseUrl.ToString(),
                ["SWUPGRADE_APP_ID"] = fake.AppId,
                ["SWUPGRADE_APP_SECRET"] = fake.Secret,
                ["SWUPGRADE_CA_FILE"] = _scenario.Platform.Ca.CaFile,
                ["SWUPGRADE_STATUS_URL"] = _scenario.Host.BaseAddress.ToString(),
                ["SWUPGRADE_FUNCTION_KEY"] = _scenario.Host.FunctionKey,
            },
            ConfigureClient = o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        };
        string[] operation = args.Contains("--operation-id") ? [] : ["--operation-id", _scenario.OperationId];
        var code = await CliApp.RunAsync(["reconcile", .. operation, .. args], context);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Reconcile_ReportsEachKindOfDifference_AndTheCountsThatAgree()
    {
        var run = await RunAsync("--json");

        Assert.True(run.ExitCode == ExitCodes.DifferencesFound, run.All);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        var differences = root.GetProperty("differences").EnumerateArray()
            .Select(d => (d.GetProperty("kind").GetString(), d.GetProperty("subOperationId").GetString(), d.GetProperty("platformStatus").GetString(),
                d.GetProperty("phaseHere").ValueKind == JsonValueKind.Null ? null : d.GetProperty("phaseHere").GetString()))
            .ToArray();
        Assert.Equal(
            [
                ("unknown-here", "sub-6", "success", null),
                ("not-settled-here", "sub-4", "success", "updating"),
                ("not-settled-here", "sub-5", "fail", "downloading"),
                ("settled-differently", "sub-7", "success", "failed"),
            ],
            differences);
        Assert.Equal("2026-11-26T10:20:00Z", root.GetProperty("differences")[0].GetProperty("platformStopTime").GetString());
        var agree = root.GetProperty("agree");
        Assert.Equal((3, 2, 0), (agree.GetProperty("settledAlike").GetInt32(), agree.GetProperty("pendingAlike").GetInt32(), agree.GetProperty("settledHereOnly").GetInt32()));
        Assert.Equal((9, 7, 0), (root.GetProperty("onPlatform").GetInt32(), root.GetProperty("knownHere").GetInt32(), root.GetProperty("knownHereOnly").GetInt32()));
        Assert.Equal("software", root.GetProperty("kind").GetString());

        // A report changes nothing.
        Assert.Equal(0, await _scenario.DrainAsync());
    }

    [Fact]
    public async Task Reconcile_PrintsATable_AndHowToRepair()
    {
        var run = await RunAsync();

        Assert.Equal(ExitCodes.DifferencesFound, run.ExitCode);
        Assert.Contains("9 sub-task(s) on the platform, 7 of them known here", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Agree: 3 settled alike, 2 not settled on either side", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Differ: 1 unknown here, 2 settled on the platform but not here, 1 settled differently.", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"settled-differently\s+sub-7\s+dev-7\s+success\s+2026-11-26T10:21:00Z\s+failed", run.Stdout);
        Assert.Contains("--repair", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(_scenario.Host.FunctionKey, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repair_MakesTheStatusApiAgreeWithThePlatform_ThroughTheQueue_AndASecondRepairChangesNothing()
    {
        Assert.Equal(["op-rec/sub-1", "op-rec/sub-2", "op-rec/sub-3", "op-rec/sub-7"], SettledSubjects());
        var repair = await RunAsync("--repair");

        Assert.True(repair.ExitCode == ExitCodes.Ok, repair.All);
        Assert.Contains("Repair: 4 sub-task(s) sent", repair.Stdout, StringComparison.Ordinal);
        Assert.Equal(4, await _scenario.DrainAsync());
        Assert.Equal(ReconciliationScenario.ReconciledPhases, await _scenario.PhasesAsync());

        var lost = await _scenario.DeviceSubTaskAsync("dev-4");
        var entry = lost.GetProperty("history").EnumerateArray().Last();
        Assert.Equal(("reconciliation", "success", "settled"),
            (entry.GetProperty("notifyType").GetString(), entry.GetProperty("value").GetString(), entry.GetProperty("verdict").GetString()));
        Assert.Equal(ReconciliationScenario.Stop.AddMinutes(3), entry.GetProperty("platformTime").GetDateTimeOffset());
        var replaced = (await _scenario.DeviceSubTaskAsync("dev-7")).GetProperty("history").EnumerateArray().Last();
        Assert.Equal("settled-replacing-result", replaced.GetProperty("verdict").GetString());
        var neverPushed = await _scenario.DeviceSubTaskAsync("dev-6");
        Assert.Equal(("software", "SUCCESS", 1), (neverPushed.GetProperty("kind").GetString(), neverPushed.GetProperty("result").GetString(),
            neverPushed.GetProperty("history").GetArrayLength()));

        // Each sub-task settled by reconciliation publishes its settled event, at the platform's stop time; the replaced
        // result of sub-7 is not a second settlement.
        Assert.Equal(["op-rec/sub-1", "op-rec/sub-2", "op-rec/sub-3", "op-rec/sub-4", "op-rec/sub-5", "op-rec/sub-6", "op-rec/sub-7"], SettledSubjects());
        using (var data = JsonDocument.Parse(_events.Published.Single(e => e.Subject == "op-rec/sub-5").Data!.ToString()))
        {
            Assert.Equal(("FAIL", ReconciliationScenario.Stop.AddMinutes(4)),
                (data.RootElement.GetProperty("result").GetString(), data.RootElement.GetProperty("settledAt").GetDateTimeOffset()));
        }

        var before = (await _scenario.DeviceSubTaskAsync("dev-4")).GetRawText();
        var again = await RunAsync("--repair", "--json");

        Assert.True(again.ExitCode == ExitCodes.Ok, again.All);
        using var json = JsonDocument.Parse(again.Stdout);
        Assert.Equal(0, json.RootElement.GetProperty("differences").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("repair").GetProperty("sent").GetInt32());
        Assert.Equal(7, json.RootElement.GetProperty("agree").GetProperty("settledAlike").GetInt32());
        Assert.Equal(0, await _scenario.DrainAsync());
        Assert.Equal(before, (await _scenario.DeviceSubTaskAsync("dev-4")).GetRawText());
        Assert.Equal(7, _events.Published.Count);
    }

    [Fact]
    public async Task Repair_LeavesTheLateResultPush_Confirmed_NotConflicting()
    {
        await RunAsync("--repair");
        await _scenario.DrainAsync();

        await _scenario.PushAsync(Pushes.SwResult("SUCCESS", "dev-4", _scenario.OperationId, "sub-4", _scenario.Platform.Fake.AppId).ToJsonString());
        await _scenario.DrainAsync();

        var history = (await _scenario.DeviceSubTaskAsync("dev-4")).GetProperty("history").EnumerateArray().ToArray();
        Assert.Equal("confirmed", history[^1].GetProperty("verdict").GetString());
        Assert.Equal(ReconciliationScenario.ReconciledPhases, await _scenario.PhasesAsync());
    }

    [Fact]
    public async Task Reconcile_NamesAnUnknownTask_AndAMissingStatusUrl()
    {
        var unknown = await RunAsync("--operation-id", "op-nowhere");
        Assert.Equal(ExitCodes.PlatformError, unknown.ExitCode);
        Assert.Contains("no upgrade task 'op-nowhere'", unknown.Stderr, StringComparison.Ordinal);

        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["reconcile", "--operation-id", "op-rec"], new CliContext
        {
            Stdout = new StringWriter(),
            Stderr = stderr,
            Environment = new Dictionary<string, string?>(),
        });
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Contains("--status-url", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_ExitsWithTheStatusApiCode_WhenNothingAnswersAtTheStatusUrl()
    {
        var port = SwUpgradeFunc.Local.AzuriteLauncher.FreePort();

        var run = await RunAsync("--status-url", $"http://127.0.0.1:{port}", "--repair");

        Assert.True(run.ExitCode == ExitCodes.StatusApiFailed, run.All);
        Assert.Contains("status API", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, await _scenario.DrainAsync());
    }

    [Fact]
    public async Task Reconcile_ExitsWithTheStatusApiCode_NamingTheUrl_WhenTheStatusUrlHasAWrongPath()
    {
        // The right host with /api added answers the host's own 404 for a route it does not have, not the status
        // API's unknown-operation problem: reading that as "never heard of here" would report every sub-task lost.
        var wrong = new Uri(_scenario.Host.BaseAddress, "api");

        var run = await RunAsync("--status-url", wrong.ToString(), "--json");

        Assert.True(run.ExitCode == ExitCodes.StatusApiFailed, run.All);
        Assert.Contains(new Uri(_scenario.Host.BaseAddress, "api/api/upgrades/op-rec").ToString(), run.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal("status-api-failed", json.RootElement.GetProperty("error").GetProperty("kind").GetString());
        Assert.DoesNotContain("unknown-here", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_ReportsEverySubTaskUnknownHere_WhenTheStatusApiSaysItNeverHeardOfTheTask()
    {
        var fake = _scenario.Platform.Fake;
        fake.AddUpgradeTask("op-unheard");
        fake.SetSubOperation("op-unheard", "sub-a", "dev-a", "success", ReconciliationScenario.Stop);
        fake.SetSubOperation("op-unheard", "sub-b", "dev-b", "fail", ReconciliationScenario.Stop);

        var run = await RunAsync("--operation-id", "op-unheard", "--json");

        Assert.True(run.ExitCode == ExitCodes.DifferencesFound, run.All);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(0, json.RootElement.GetProperty("knownHere").GetInt32());
        Assert.Equal(["unknown-here", "unknown-here"],
            json.RootElement.GetProperty("differences").EnumerateArray().Select(d => d.GetProperty("kind").GetString()!).ToArray());
    }

    [Fact]
    public async Task Reconcile_RefusesAPlainHttpStatusUrl_OffThisMachine()
    {
        var run = await RunAsync("--status-url", "http://myapp.example.net");

        Assert.Equal(ExitCodes.BadArguments, run.ExitCode);
        Assert.Contains("unencrypted", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(_scenario.Platform.Fake.Requests);
    }
}
