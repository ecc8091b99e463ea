using SwUpgradeFunc.Tests.Platform;

namespace SwUpgradeFunc.Tests.Cli;

/// <summary>Base of the test classes that run the CLI in-process against a fresh fake platform per test.</summary>
public abstract class CliTests : PlatformTests
{
    /// <summary>A fresh copy each call, so a test may change a variable without affecting the next run.</summary>
    protected Dictionary<string, string?> Environment() => Ctx.CliEnvironment();

    protected Task<CliRun> RunAsync(params string[] args) => RunAsync(Environment(), args);

    /// <summary>Runs with one variable of the environment set to another value.</summary>
    protected Task<CliRun> RunWithAsync(string variable, string value, params string[] args)
    {
        var environment = Environment();
        environment[variable] = value;
        return RunAsync(environment, args);
    }

    protected static Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        CliRun.RunAsync(args, environment, CliRun.QuickRetries);
}
