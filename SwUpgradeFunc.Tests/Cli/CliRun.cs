using SwUpgrade.Cli;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Cli;

/// <summary>What one in-process run of the CLI returned and wrote.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;

    /// <summary>
    /// Runs the CLI in-process on captured streams with exactly the given environment, so no SWUPGRADE_* variable of
    /// the machine running the tests leaks in.
    /// </summary>
    public static async Task<CliRun> RunAsync(string[] args, IReadOnlyDictionary<string, string?> environment,
        Action<PlatformClientOptions>? configureClient = null, CancellationToken cancellationToken = default)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CliContext { Stdout = stdout, Stderr = stderr, Environment = environment, ConfigureClient = configureClient };
        var code = await CliApp.RunAsync(args, context, cancellationToken);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Retries after 1 ms, so a test that makes the CLI retry does not wait out the real back-off.</summary>
    public static void QuickRetries(PlatformClientOptions options) => options.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
}
