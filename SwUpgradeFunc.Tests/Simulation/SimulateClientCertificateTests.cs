using System.Security.Cryptography.X509Certificates;
using Azure.Storage.Queues;
using SwUpgrade.Cli;
using SwUpgrade.Cli.Simulation;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Simulation;

/// <summary>
/// <c>swupgrade simulate --client-cert</c> against the in-process receiver with the client certificate check required,
/// on Azurite: the certificate travels in X-ARR-ClientCert as Azure's front end would forward it.
/// </summary>
public sealed class SimulateClientCertificateTests : IAsyncLifetime, IDisposable
{
    private const int Devices = 2;

    private readonly PushCertificates _certificates = new(DateTimeOffset.UtcNow);
    private readonly string _queueName = AzuriteServer.NewName("simcert-");
    private readonly string _directory = Directory.CreateTempSubdirectory("swupgrade-simcert-").FullName;
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await FunctionsTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = AzuriteServer.ConnectionString,
            ["NotificationsQueueName"] = _queueName,
            ["Receiver:ClientCertificate:Mode"] = "required",
            ["Receiver:ClientCertificate:CaCertificates"] = _certificates.CaPem,
        });
        await new QueueClient(AzuriteServer.ConnectionString, _queueName).CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> Simulate(IReadOnlyDictionary<string, string?>? environment, params string[] extra)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext { Stdout = stdout, Stderr = stderr, Environment = environment ?? new Dictionary<string, string?>() };
        string[] args =
        [
            "simulate", "--target", new Uri(_host.BaseAddress, "v1.0.0/messageReceiver").ToString(),
            "--devices", $"{Devices}", "--rate", "1000", .. extra,
        ];
        var exitCode = await CliApp.RunAsync(args, context);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    private async Task<int> QueuedMessages() =>
        (await new QueueClient(AzuriteServer.ConnectionString, _queueName).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Simulate_WithThePlatformsPemCertificate_IsAccepted_AndEveryPushIsQueued()
    {
        var pem = Write("platform.pem", _certificates.Valid.ExportCertificatePem());

        var (exitCode, stdout, stderr) = await Simulate(null, "--client-cert", pem);

        Assert.True(exitCode == ExitCodes.Ok, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Equal(Devices * FleetSchedule.LifecycleLength, await QueuedMessages());
    }

    [Fact]
    public async Task Simulate_WithAPasswordProtectedPfx_TakesThePasswordFromTheEnvironment()
    {
        var pfx = Path.Combine(_directory, "platform.pfx");
        File.WriteAllBytes(pfx, _certificates.Valid.Export(X509ContentType.Pkcs12, "pfx-pass"));

        var (exitCode, stdout, stderr) = await Simulate(
            new Dictionary<string, string?> { ["SWUPGRADE_CLIENT_CERT_PASSWORD"] = "pfx-pass" }, "--client-cert", pfx);

        Assert.True(exitCode == ExitCodes.Ok, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.DoesNotContain("pfx-pass", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_WithoutCertificate_IsRefusedWith403_AndNothingIsQueued()
    {
        var (exitCode, stdout, _) = await Simulate(null);

        Assert.Equal(SimulateCommand.ExitPushesFailed, exitCode);
        Assert.Contains("client-certificate-missing", stdout, StringComparison.Ordinal);
        Assert.Equal(0, await QueuedMessages());
    }

    [Fact]
    public async Task Simulate_WithACertificateOfAnotherCa_IsRefusedAsUntrusted()
    {
        var pem = Write("other.pem", _certificates.FromOtherCa.ExportCertificatePem());

        var (exitCode, stdout, _) = await Simulate(null, "--client-cert", pem);

        Assert.Equal(SimulateCommand.ExitPushesFailed, exitCode);
        Assert.Contains("client-certificate-untrusted", stdout, StringComparison.Ordinal);
        Assert.Equal(0, await QueuedMessages());
    }

    [Theory]
    [InlineData("missing.pem", null)]
    [InlineData("garbage.pem", "not a certificate")]
    [InlineData("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    public async Task Simulate_WithAnUnreadableCertificateFile_FailsBeforeSending_NamingTheFlag(string name, string? content)
    {
        var path = content is null ? Path.Combine(_directory, name) : Write(name, content);

        var (exitCode, _, stderr) = await Simulate(null, "--client-cert", path);

        Assert.Equal(ExitCodes.BadArguments, exitCode);
        Assert.Contains("--client-cert", stderr, StringComparison.Ordinal);
        Assert.Contains(path, stderr, StringComparison.Ordinal);
        Assert.Equal(0, await QueuedMessages());
    }

    [Fact]
    public async Task Simulate_ToARemoteTarget_NeedsThePrivateKey_ForTheTlsHandshake()
    {
        var pem = Write("platform.pem", _certificates.Valid.ExportCertificatePem());
        var stderr = new StringWriter();
        var context = new CliContext { Stdout = new StringWriter(), Stderr = stderr, Environment = new Dictionary<string, string?>() };

        var exitCode = await CliApp.RunAsync(
            ["simulate", "--target", "https://callback.example/v1.0.0/messageReceiver", "--allow-remote", "--client-cert", pem], context);

        Assert.Equal(ExitCodes.BadArguments, exitCode);
        Assert.Contains("--client-cert: a remote target gets the certificate in the TLS handshake", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardedHeader_IsSetForATargetOnThisMachineOnly()
    {
        var local = new SimulationOptions { Target = new Uri("http://127.0.0.1:7071/v1.0.0/messageReceiver"), ClientCertificate = _certificates.Valid };
        var remote = local with { Target = new Uri("https://callback.example/v1.0.0/messageReceiver"), AllowRemote = true };

        Assert.Equal(PushCertificates.Header(_certificates.Valid), local.ForwardedClientCertificate);
        Assert.Null(remote.ForwardedClientCertificate);
        Assert.Empty(remote.Validate());
    }
}
