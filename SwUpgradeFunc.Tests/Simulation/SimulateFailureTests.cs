using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SwUpgrade.Cli;
using SwUpgradeFunc.Tests.Cli;

namespace SwUpgradeFunc.Tests.Simulation;

/// <summary>
/// <c>swupgrade simulate</c> when things go wrong: nothing listening, the status API unreachable or refusing the key,
/// Ctrl+C. Each ends with a message, a documented exit code and the summary of what was sent.
/// </summary>
public sealed class SimulateFailureTests : IAsyncLifetime
{
    private WebApplication _receiver = null!;
    private Uri _base = null!;
    private int _posts;

    public async Task InitializeAsync()
    {
        // A stand-in receiver: 200 to every push, 401 from the status API (a wrong key).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _receiver = builder.Build();
        _receiver.Run(context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                Interlocked.Increment(ref _posts);
                context.Response.StatusCode = 200;
            }
            else
            {
                context.Response.StatusCode = 401;
            }

            return Task.CompletedTask;
        });
        await _receiver.StartAsync();
        _base = new Uri(_receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private string Target => new Uri(_base, "v1.0.0/messageReceiver").ToString();

    private static async Task<CliRun> RunAsync(string[] args, CancellationToken ct = default)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CliContext { Stdout = stdout, Stderr = stderr, Environment = new Dictionary<string, string?>() };
        var code = await CliApp.RunAsync(args, context, ct);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task NothingListening_StopsAfterAFewConnectionFailures_AskingWhetherTheAppRuns()
    {
        var port = ClosedLoopbackPort();

        var run = await RunAsync(["simulate", "--target", $"http://127.0.0.1:{port}/v1.0.0/messageReceiver", "--devices", "1000", "--rate", "2000", "--concurrency", "4"]);

        Assert.Equal(ExitCodes.PushesFailed, run.ExitCode);
        Assert.Contains($"is the function app running at http://127.0.0.1:{port}?", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("no push was answered, so there is no latency", run.Stdout, StringComparison.Ordinal);
        Assert.True(run.All.Split('\n').Length < 40, run.All);
        var sent = int.Parse(run.Stdout.Split("Sent ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(sent, 5, 5 + 4);
    }

    [Fact]
    public async Task VerifyWithTheStatusApiUnreachable_EndsWithAMessageAndExit8_AfterTheSummary()
    {
        var port = ClosedLoopbackPort();

        var run = await RunAsync(["simulate", "--target", Target, "--devices", "2", "--rate", "1000", "--verify", "--status-url", $"http://127.0.0.1:{port}/"]);

        Assert.Equal(ExitCodes.VerificationFailed, run.ExitCode);
        Assert.Contains("Sent 10 of 10 pushes", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("The status API could not be reached", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyWithAWrongKey_SaysTheKeyWasRefused_Exit8()
    {
        var run = await RunAsync(["simulate", "--target", Target, "--devices", "2", "--rate", "1000", "--verify", "--function-key", "wrong"]);

        Assert.Equal(ExitCodes.VerificationFailed, run.ExitCode);
        Assert.Contains("Sent 10 of 10 pushes", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("The status API refused the function key (401", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CtrlC_Exits130_WithTheSummaryOfWhatWasSent()
    {
        using var cancel = new CancellationTokenSource();
        var running = RunAsync(["simulate", "--target", Target, "--devices", "100", "--rate", "20"], cancel.Token);
        while (Volatile.Read(ref _posts) < 3)
        {
            await Task.Delay(20);
        }

        await cancel.CancelAsync();
        var run = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Cancelled, run.ExitCode);
        Assert.Matches(@"Sent \d+ of 500 pushes", run.Stdout);
        Assert.Contains("Cancelled.", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("cancelled", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulateHelp_ShowsOnlyItsOwnOptions_AndSaysTheAppIdMustBeAllowed()
    {
        var run = await RunAsync(["simulate", "--help"]);

        Assert.Equal(0, run.ExitCode);
        foreach (var unused in new[] { "--platform-url", "--app-secret", "--ca-file", "--client-cert-password" })
        {
            Assert.DoesNotContain(unused, run.Stdout, StringComparison.Ordinal);
        }

        // simulate's own --client-cert: the certificate the simulated platform presents, not the northbound PKCS#12.
        Assert.Contains("X-ARR-ClientCert", run.Stdout, StringComparison.Ordinal);

        Assert.Contains("--app-id", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("allow-list", run.Stdout, StringComparison.Ordinal);
    }

    private static int ClosedLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
