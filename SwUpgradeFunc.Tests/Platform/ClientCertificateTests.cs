using SwUpgrade.Cli;
using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

public sealed class ClientCertificateTests : IAsyncLifetime
{
    private PlatformTestContext _ctx = null!;

    public async Task InitializeAsync() => _ctx = await PlatformTestContext.StartAsync(requireClientCertificate: true);

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public async Task RequiredClientCertificate_IsPresented_FromThePkcs12File()
    {
        var certificate = _ctx.Ca.IssueClientCertificate("swupgrade operator");
        var file = _ctx.Ca.WritePkcs12(certificate, "p12-Passw0rd");
        using var client = _ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "p12-Passw0rd";
        });

        await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, "https://swupgrade.example.net/v1.0.0/messageReceiver");

        Assert.NotEmpty(_ctx.Fake.Requests);
        Assert.All(_ctx.Fake.Requests, r => Assert.Equal(certificate.Thumbprint, r.ClientCertificateThumbprint));
    }

    [Fact]
    public async Task AnAnswerCutShort_AfterThePlatformHasAnswered_IsUnreachable_NotARefusedCertificate()
    {
        var file = _ctx.Ca.WritePkcs12(_ctx.Ca.IssueClientCertificate("swupgrade operator"), "p12-Passw0rd");
        using var client = _ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "p12-Passw0rd";
        });
        await client.ListSubscriptionsAsync(null, 0, 10);
        _ctx.Fake.CutAnswerShort("/subscriptions");

        var e = await Assert.ThrowsAnyAsync<PlatformException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.IsType<PlatformUnreachableException>(e);
    }

    [Fact]
    public async Task MissingClientCertificate_FailsWithTlsErrorNamingTheOption()
    {
        using var client = _ctx.Client();

        var e = await Assert.ThrowsAnyAsync<PlatformException>(() => client.ListSubscriptionsAsync(null, 0, 10));
        var tls = Assert.IsType<PlatformTlsException>(e);
        Assert.Equal(PlatformFix.ClientCertificate, tls.Fix);
        Assert.Contains("--client-cert", CliAdvice.Describe(tls), StringComparison.Ordinal);

        Assert.Empty(_ctx.Fake.Requests);
    }

    [Fact]
    public async Task ClientCertificateThePlatformRefuses_FailsWithTlsErrorSayingSo()
    {
        using var otherCa = Fake.TestCertificateAuthority.Create("Some other CA");
        var file = otherCa.WritePkcs12(otherCa.IssueClientCertificate("stranger"), "p12-Passw0rd");
        using var client = _ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "p12-Passw0rd";
        });

        var e = await Assert.ThrowsAnyAsync<PlatformException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        var tls = Assert.IsType<PlatformTlsException>(e);
        Assert.Contains("refused the client certificate", tls.Message, StringComparison.Ordinal);
        Assert.Contains("CN=stranger", tls.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(ResponseEnded)", tls.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("..", tls.Message, StringComparison.Ordinal);
        Assert.Empty(_ctx.Fake.Requests);
    }

    [Fact]
    public void WrongClientCertificatePassword_IsAConfigurationError_ThatDoesNotShowThePassword()
    {
        var file = _ctx.Ca.WritePkcs12(_ctx.Ca.IssueClientCertificate("op"), "right-password");

        var e = Assert.Throws<PlatformConfigurationException>(() => _ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "Wrong-P4ssword";
        }));

        Assert.Contains("PKCS#12", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Wrong-P4ssword", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_PresentsTheClientCertificateFromTheEnvironment_AndFailsWithTlsExitCodeWithoutIt()
    {
        const string password = "Cli-DISTINCTIVE-p12-pass";
        var file = _ctx.Ca.WritePkcs12(_ctx.Ca.IssueClientCertificate("cli operator"), password, "cli.p12");
        var env = new Dictionary<string, string?>
        {
            ["SWUPGRADE_PLATFORM_URL"] = _ctx.Fake.BaseUrl.ToString(),
            ["SWUPGRADE_APP_ID"] = _ctx.Fake.AppId,
            ["SWUPGRADE_APP_SECRET"] = _ctx.Fake.Secret,
            ["SWUPGRADE_CA_FILE"] = _ctx.Ca.CaFile,
        };

        var without = await RunAsync(env, "subscriptions", "list");
        env["SWUPGRADE_CLIENT_CERT_FILE"] = file;
        env["SWUPGRADE_CLIENT_CERT_PASSWORD"] = password;
        var with = await RunAsync(env, "subscriptions", "list");

        Assert.Equal(ExitCodes.TlsFailure, without.ExitCode);
        Assert.Contains("SWUPGRADE_CLIENT_CERT_FILE", without.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, with.ExitCode);
        Assert.DoesNotContain(password, with.Stdout + with.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_ClientCertificateThePlatformRefuses_ExitsWithTlsFailure()
    {
        using var otherCa = Fake.TestCertificateAuthority.Create("Some other CA");
        var env = new Dictionary<string, string?>
        {
            ["SWUPGRADE_PLATFORM_URL"] = _ctx.Fake.BaseUrl.ToString(),
            ["SWUPGRADE_APP_ID"] = _ctx.Fake.AppId,
            ["SWUPGRADE_APP_SECRET"] = _ctx.Fake.Secret,
            ["SWUPGRADE_CA_FILE"] = _ctx.Ca.CaFile,
            ["SWUPGRADE_CLIENT_CERT_FILE"] = otherCa.WritePkcs12(otherCa.IssueClientCertificate("stranger"), "pw-1"),
            ["SWUPGRADE_CLIENT_CERT_PASSWORD"] = "pw-1",
        };

        var run = await RunAsync(env, "subscriptions", "list");

        Assert.Equal(ExitCodes.TlsFailure, run.ExitCode);
        Assert.Contains("refused the client certificate", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be reached", run.Stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(Dictionary<string, string?> env, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, env);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
