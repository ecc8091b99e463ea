using SwUpgrade.Cli;
using SwUpgrade.Cli.Simulation;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Simulation;

/// <summary>
/// <c>swupgrade simulate --verify</c> against the receiver and the processor running in-process on Azurite: a small
/// fleet with duplicates, reordering and failures must end with every device in its final phase.
/// </summary>
public class SimulateEndToEndTests
{
    [Fact]
    public async Task A_small_fleet_with_duplicates_and_reordering_reaches_its_final_phases_nothing_lost()
    {
        var queueName = AzuriteServer.NewName("sim-");
        await using var host = await FunctionsTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = AzuriteServer.ConnectionString,
            ["NotificationsQueueName"] = queueName,
            ["Upgrades:TableName"] = AzuriteServer.NewName("sim"),
            ["Receiver:AllowedAppIds"] = "sim-app",
        });
        var driver = new QueueTriggerDriver(AzuriteServer.ConnectionString, queueName);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // The test host asks for its function key on the status API, as the Functions host does.
        var context = new CliContext
        {
            Stdout = stdout,
            Stderr = stderr,
            Environment = new Dictionary<string, string?> { [SimulateCommand.FunctionKeyEnv] = host.FunctionKey },
        };

        var simulate = CliApp.RunAsync(
        [
            "simulate", "--target", new Uri(host.BaseAddress, "v1.0.0/messageReceiver").ToString(),
            "--devices", "24", "--kind", "Mixed", "--rate", "400", "--duplicates", "0.2", "--reorder", "0.5", "--fail", "0.25",
            "--seed", "7", "--operation-id", "sim-op-e2e", "--app-id", "sim-app", "--max-duration", "120",
            "--verify", "--verify-timeout", "120",
        ], context);

        // The queue listener of the Functions host, standing in while the simulator pushes and then verifies.
        var processed = 0;
        while (!simulate.IsCompleted)
        {
            processed += await driver.DrainAsync(host.InvokeProcessNotification, parallelism: 4);
        }

        var exitCode = await simulate;
        Assert.True(exitCode == ExitCodes.Ok, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("Verify: 24 of 24 devices reached their final phase: nothing lost.", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("not 200: 0.", stdout.ToString(), StringComparison.Ordinal);
        Assert.True(processed >= 24 * FleetSchedule.LifecycleLength, $"processed {processed}");
        Assert.Equal(0, driver.Failures);
    }

    [Fact]
    public async Task A_lost_device_fails_verification_and_names_it()
    {
        // Nothing processes the queue, so the status API never learns of the fleet: verification must fail, not hang.
        await using var host = await FunctionsTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = AzuriteServer.ConnectionString,
            ["NotificationsQueueName"] = AzuriteServer.NewName("sim-"),
            ["Upgrades:TableName"] = AzuriteServer.NewName("sim"),
        });
        var stdout = new StringWriter();
        var context = new CliContext
        {
            Stdout = stdout,
            Stderr = new StringWriter(),
            Environment = new Dictionary<string, string?> { [SimulateCommand.FunctionKeyEnv] = host.FunctionKey },
        };

        var exitCode = await CliApp.RunAsync(
        [
            "simulate", "--target", new Uri(host.BaseAddress, "v1.0.0/messageReceiver").ToString(),
            "--devices", "2", "--rate", "1000", "--verify", "--verify-timeout", "1",
        ], context);

        Assert.Equal(SimulateCommand.ExitVerificationFailed, exitCode);
        Assert.Contains("Verify: 0 of 2 devices", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("status API shows nothing", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_status_url_with_a_wrong_path_fails_verification_naming_the_url_instead_of_reporting_devices_lost()
    {
        await using var host = await FunctionsTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = AzuriteServer.ConnectionString,
            ["NotificationsQueueName"] = AzuriteServer.NewName("sim-"),
            ["Upgrades:TableName"] = AzuriteServer.NewName("sim"),
        });
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext
        {
            Stdout = stdout,
            Stderr = stderr,
            Environment = new Dictionary<string, string?> { [SimulateCommand.FunctionKeyEnv] = host.FunctionKey },
        };

        var exitCode = await CliApp.RunAsync(
        [
            "simulate", "--target", new Uri(host.BaseAddress, "v1.0.0/messageReceiver").ToString(),
            "--devices", "2", "--rate", "1000", "--verify", "--verify-timeout", "1", "--operation-id", "op-wrong-path",
            "--status-url", new Uri(host.BaseAddress, "api/").ToString(),
        ], context);

        Assert.True(exitCode == SimulateCommand.ExitVerificationFailed, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains(new Uri(host.BaseAddress, "api/api/upgrades/op-wrong-path").ToString(), stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("status API shows nothing", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_remote_target_is_refused_before_anything_is_sent()
    {
        var stderr = new StringWriter();
        var context = new CliContext { Stdout = new StringWriter(), Stderr = stderr, Environment = new Dictionary<string, string?>() };

        var exitCode = await CliApp.RunAsync(["simulate", "--target", "https://swupgrade.example.net/v1.0.0/messageReceiver"], context);

        Assert.Equal(ExitCodes.BadArguments, exitCode);
        Assert.Contains("--allow-remote", stderr.ToString(), StringComparison.Ordinal);
    }
}
