using SwUpgrade.Cli;
using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Cli;
using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

public sealed class ClientCertificateTests : PlatformTests
{
    protected override bool RequireClientCertificate => true;

    [Fact]
    public async Task RequiredClientCertificate_IsPresented_FromThePkcs12File()
    {
        var certificate = Ctx.Ca.IssueClientCertificate("swupgrade operator");
        var file = Ctx.Ca.WritePkcs12(certificate, "p12-Passw0rd");
        using var client = Ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "p12-Passw0rd";
        });

        await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, "https://swupgrade.example.net/v1.0.0/messageReceiver");

        Assert.NotEmpty(Fake.Requests);
        Assert.All(Fake.Requests, r => Assert.Equal(certificate.Thumbprint, r.ClientCertificateThumbprint));
    }

    [Fact]
    public async Task AnAnswerCutShort_AfterThePlatformHasAnswered_IsUnreachable_NotARefusedCertificate()
    {
        var file = Ctx.Ca.WritePkcs12(Ctx.Ca.IssueClientCertificate("swupgrade operator"), "p12-Passw0rd");
        using var client = Ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "p12-Passw0rd";
        });
        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.CutAnswerShort("/subscriptions");

        var e = await Assert.ThrowsAnyAsync<PlatformException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.IsType<PlatformUnreachableException>(e);
    }

    [Fact]
    public async Task MissingClientCertificate_FailsWithTlsErrorNamingTheOption()
    {
        using var client = Ctx.Client();

        var e = await Assert.ThrowsAnyAsync<PlatformException>(() => client.ListSubscriptionsAsync(null, 0, 10));
        var tls = Assert.IsType<PlatformTlsException>(e);
        Assert.Equal(PlatformFix.ClientCertificate, tls.Fix);
        Assert.Contains("--client-cert", CliAdvice.Describe(tls), StringComparison.Ordinal);

        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task ClientCertificateThePlatformRefuses_FailsWithTlsErrorSayingSo()
    {
        using var otherCa = TestCertificateAuthority.Create("Some other CA");
        var file = otherCa.WritePkcs12(otherCa.IssueClientCertificate("stranger"), "p12-Passw0rd");
        using var client = Ctx.Client(o =>
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
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public void WrongClientCertificatePassword_IsAConfigurationError_ThatDoesNotShowThePassword()
    {
        var file = Ctx.Ca.WritePkcs12(Ctx.Ca.IssueClientCertificate("op"), "right-password");

        var e = Assert.Throws<PlatformConfigurationException>(() => Ctx.Client(o =>
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
        var file = Ctx.Ca.WritePkcs12(Ctx.Ca.IssueClientCertificate("cli operator"), password, "cli.p12");
        var env = Ctx.CliEnvironment();

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
        using var otherCa = TestCertificateAuthority.Create("Some other CA");
        var env = Ctx.CliEnvironment();
        env["SWUPGRADE_CLIENT_CERT_FILE"] = otherCa.WritePkcs12(otherCa.IssueClientCertificate("stranger"), "pw-1");
        env["SWUPGRADE_CLIENT_CERT_PASSWORD"] = "pw-1";

        var run = await RunAsync(env, "subscriptions", "list");

        Assert.Equal(ExitCodes.TlsFailure, run.ExitCode);
        Assert.Contains("refused the client certificate", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be reached", run.Stderr, StringComparison.Ordinal);
    }

    private static Task<CliRun> RunAsync(Dictionary<string, string?> env, params string[] args) => CliRun.RunAsync(args, env);
}
