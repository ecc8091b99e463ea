using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgrade.Cli;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Functions;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Cli;

/// <summary><c>swupgrade tasks delete</c> against the app's routes in-process on 127.0.0.1, over Azurite.</summary>
public sealed class TasksDeleteCliTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _appTime = new(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StatusApiHost.StartAsync("delcli", services => services.AddSingleton<TimeProvider>(_appTime));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Dictionary<string, string?> Environment() => new()
    {
        ["SWUPGRADE_STATUS_URL"] = _host.BaseAddress.ToString(),
        ["SWUPGRADE_FUNCTION_KEY"] = _host.FunctionKey,
    };

    /// <summary>Runs the CLI while the app's clock moves on, so that the deletion's settle time passes within the run.</summary>
    private async Task<CliRun> RunAsync(Dictionary<string, string?> environment, params string[] args)
    {
        var run = CliRun.RunAsync(args, environment);
        while (!run.IsCompleted)
        {
            await Task.Delay(100);
            _appTime.Advance(TimeSpan.FromSeconds(2));
        }

        return await run;
    }

    [Fact]
    public async Task TasksDelete_CallsUntilTheTaskIsGone_PrintingProgress_WithoutTheFunctionKey()
    {
        var store = _host.Services.GetRequiredService<UpgradeStateStore>();
        // More rows than one call removes (a sub-task and an index row each), so the first call answers 202 however
        // long it takes while the app's clock runs: the progress line is printed whatever the machine's load.
        var subTasks = (TaskDeletionFunction.MaxRowsPerCall / 2) + 50;
        await SeededTask.WriteAsync(new TableClient(AzuriteServer.ConnectionString, _host.Services.GetRequiredService<IOptions<UpgradesOptions>>().Value.TableName),
            "op/cli", [.. Enumerable.Range(0, subTasks).Select(i => SeededTask.State("op/cli", i, UpgradePhase.Downloading))]);

        var run = await RunAsync(Environment(), "tasks", "delete", "--operation-id", "op/cli");

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Contains("Deleting op/cli: ", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Task op/cli deleted", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(_host.FunctionKey, run.All, StringComparison.Ordinal);
        Assert.Null(await store.GetTaskAsync("op/cli", 10, null, CancellationToken.None));
        Assert.True((await store.DeleteTaskAsync("op/cli", 1, CancellationToken.None))!.Done);
    }

    [Fact]
    public async Task TasksDelete_FailsWithExit10_NamingTheFlag_WhenTheTaskIsUnknown()
    {
        var run = await RunAsync(Environment(), "tasks", "delete", "--operation-id", "op-nobody");

        Assert.Equal(ExitCodes.StatusApiFailed, run.ExitCode);
        Assert.Contains("--operation-id 'op-nobody'", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--operation-id", new[] { "tasks", "delete" })]
    [InlineData("--operation-id", new[] { "tasks", "delete", "--operation-id", " " })]
    [InlineData("--status-url", new[] { "tasks", "delete", "--operation-id", "op", "--status-url", "http://example.com" })]
    [InlineData("--status-url", new[] { "tasks", "delete", "--operation-id", "op", "--status-url", "not a url" })]
    public async Task TasksDelete_FailsWithExit2_NamingTheFlag_ForBadInput(string flag, string[] args)
    {
        var run = await RunAsync(Environment(), args);

        Assert.Equal(ExitCodes.BadArguments, run.ExitCode);
        Assert.Contains(flag, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_host.FunctionKey, run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TasksDelete_WithAWrongKey_FailsWithExit10_AndNeverPrintsTheKey()
    {
        var environment = Environment();
        environment["SWUPGRADE_FUNCTION_KEY"] = "wrong-key-0123456789";

        var run = await RunAsync(environment, "tasks", "delete", "--operation-id", "op-x");

        Assert.Equal(ExitCodes.StatusApiFailed, run.ExitCode);
        Assert.Contains("function key", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-0123456789", run.All, StringComparison.Ordinal);
    }
}
