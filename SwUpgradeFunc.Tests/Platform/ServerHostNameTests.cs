using SwUpgrade.Cli;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Cli;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// A server certificate issued by the configured CA, but for another host name than the platform URL's: the chain is
/// fine, only the name is wrong, and that alone must stop the connection before any credential is sent.
/// </summary>
public sealed class ServerHostNameTests : PlatformTests
{
    protected override string? ServerHostName => "iot-platform.example.net";

    [Fact]
    public async Task Client_RefusesACertificateFromTheConfiguredCa_IssuedForAnotherHostName()
    {
        using var client = Ctx.Client();

        var e = await Assert.ThrowsAsync<PlatformTlsException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Contains("does not match the host name", e.Message, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task Cli_ExitsWithTheTlsCode_ForACertificateIssuedForAnotherHostName()
    {
        var run = await CliRun.RunAsync(["subscriptions", "list"], Ctx.CliEnvironment());

        Assert.Equal(ExitCodes.TlsFailure, run.ExitCode);
        Assert.Contains("host name", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
        Assert.Equal(0, Fake.LoginCount);
    }
}
