using SwUpgrade.Cli;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// A server certificate issued by the configured CA, but for another host name than the platform URL's: the chain is
/// fine, only the name is wrong, and that alone must stop the connection before any credential is sent.
/// </summary>
public sealed class ServerHostNameTests : IAsyncLifetime
{
    private TestCertificateAuthority _ca = null!;
    private FakeHuaweiPlatform _fake = null!;

    public async Task InitializeAsync()
    {
        _ca = TestCertificateAuthority.Create("Fake IoT platform CA");
        _fake = await FakeHuaweiPlatform.StartAsync(_ca, serverCertificate: _ca.IssueServerCertificate("iot-platform.example.net"));
    }

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        _ca.Dispose();
    }

    [Fact]
    public async Task Client_RefusesACertificateFromTheConfiguredCa_IssuedForAnotherHostName()
    {
        using var client = new HuaweiIotPlatformClient(new PlatformClientOptions
        {
            BaseUrl = _fake.BaseUrl,
            AppId = _fake.AppId,
            Secret = _fake.Secret,
            CaFile = _ca.CaFile,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryAttempts = 4,
        });

        var e = await Assert.ThrowsAsync<PlatformTlsException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Contains("does not match the host name", e.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task Cli_ExitsWithTheTlsCode_ForACertificateIssuedForAnotherHostName()
    {
        var env = new Dictionary<string, string?>
        {
            ["SWUPGRADE_PLATFORM_URL"] = _fake.BaseUrl.ToString(),
            ["SWUPGRADE_APP_ID"] = _fake.AppId,
            ["SWUPGRADE_APP_SECRET"] = _fake.Secret,
            ["SWUPGRADE_CA_FILE"] = _ca.CaFile,
        };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["subscriptions", "list"], stdout, stderr, env);

        Assert.Equal(ExitCodes.TlsFailure, code);
        Assert.Contains("host name", stderr.ToString(), StringComparison.Ordinal);
        Assert.Empty(_fake.Requests);
        Assert.Equal(0, _fake.LoginCount);
    }
}
