using System.Diagnostics;
using SwUpgradeFunc.Tests.Platform;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Cli;

/// <summary>
/// Runs tools/hooks/postdeploy.sh (with sh) and postdeploy.ps1 (with the repository's pinned PowerShell tool,
/// `dotnet tool restore`) as azd would, with SWUPGRADE_CLI pointing at the built swupgrade instead of `dotnet run`.
/// </summary>
public sealed class PostDeployHookTests : IAsyncLifetime
{
    private const string Secret = "Hook-DISTINCTIVE-secret-5150";
    private PlatformTestContext _ctx = null!;

    public async Task InitializeAsync()
    {
        _ctx = await PlatformTestContext.StartAsync();
        _ctx.Fake.Secret = Secret;
    }

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    public static TheoryData<string> Shells() => ["sh", "pwsh"];

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task Hook_WithoutPlatformSettings_SaysRegistrationWasSkipped(string shell)
    {
        var run = Runner(shell);

        var result = await run(new Dictionary<string, string> { ["CALLBACK_URL"] = "https://func.example.net/v1.0.0/messageReceiver" });

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("registration skipped", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("SWUPGRADE_PLATFORM_URL", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(_ctx.Fake.Requests);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public async Task Hook_WithPlatformSettings_SubscribesTheFourUpgradeTypes_WithoutShowingTheSecret(string shell)
    {
        var run = Runner(shell);

        var cli = CliAssemblyPath();
        var result = await run(new Dictionary<string, string>
        {
            ["CALLBACK_URL"] = "https://func.example.net/v1.0.0/messageReceiver",
            ["SWUPGRADE_PLATFORM_URL"] = _ctx.Fake.BaseUrl.ToString(),
            ["SWUPGRADE_APP_ID"] = _ctx.Fake.AppId,
            ["SWUPGRADE_APP_SECRET"] = Secret,
            ["SWUPGRADE_CA_FILE"] = _ctx.Ca.CaFile,
            ["SWUPGRADE_CLI"] = "dotnet " + cli,
        });

        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Equal(4, _ctx.Fake.Subscriptions.Count);
        Assert.Contains("Subscribed fwUpgradeResultNotify", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    private static Func<Dictionary<string, string>, Task<CliRun>> Runner(string shell)
    {
        var root = RepositoryPaths.Root;
        var hooks = Path.Combine(root, "tools", "hooks");
        if (shell == "sh")
        {
            var sh = FindOnPath("sh");
            Assert.True(sh is not null, "sh is not on PATH");
            return env => RunProcessAsync(sh, [Path.Combine(hooks, "postdeploy.sh")], env, root);
        }

        // PowerShell comes from the tool manifest (.config/dotnet-tools.json); tools/test.sh runs `dotnet tool restore`.
        return env => RunProcessAsync("dotnet",
            ["tool", "run", "pwsh", "-NoProfile", "-NonInteractive", "-File", Path.Combine(hooks, "postdeploy.ps1")], env, root);
    }

    private static async Task<CliRun> RunProcessAsync(string executable, string[] args, Dictionary<string, string> env,
        string workingDirectory)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // A clean environment, as far as the hook is concerned: no SWUPGRADE_* or CALLBACK_URL from the test machine.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SWUPGRADE_", StringComparison.OrdinalIgnoreCase) || k == "CALLBACK_URL").ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// swupgrade.dll in the CLI project's own output (the copy beside the tests lacks its dependencies, which the test
    /// project gets from the ASP.NET Core framework): same configuration and framework folder as the tests.
    /// </summary>
    private static string CliAssemblyPath()
    {
        var root = RepositoryPaths.Root;
        var testProject = Path.Combine(root, "SwUpgradeFunc.Tests");
        var relative = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
        var path = Path.Combine(root, "tools", "swupgrade", relative, "swupgrade.dll");
        Assert.True(File.Exists(path), "Build the CLI first: " + path);
        return path;
    }
}
