using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

public sealed class PlatformTlsOptionsTests : PlatformTests
{
    [Fact]
    public async Task CaFile_InDerFormat_IsTrustedToo()
    {
        var der = Path.Combine(Ctx.Ca.Directory, "ca.cer");
        await File.WriteAllBytesAsync(der, Ctx.Ca.Root.Export(X509ContentType.Cert));
        using var client = Ctx.Client(o => o.CaFile = der);

        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(1, Fake.LoginCount);
    }

    [Fact]
    public void CaFile_WithoutCertificates_IsAConfigurationError()
    {
        var junk = Path.Combine(Ctx.Ca.Directory, "junk.pem");
        File.WriteAllText(junk, "not a certificate");

        var e = Assert.Throws<PlatformConfigurationException>(() => Ctx.Client(o => o.CaFile = junk));

        Assert.Contains(junk, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainHttpPlatformUrl_IsRefused()
    {
        var e = Assert.Throws<PlatformConfigurationException>(() => Ctx.Client(o => o.BaseUrl = new Uri("http://127.0.0.1:8743")));

        Assert.Contains("https", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientFromHttpClientFactory_UsesTheSameTlsAndBackOff()
    {
        var services = new ServiceCollection();
        services.AddHuaweiIotPlatformClient(Ctx.Options());
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<HuaweiIotPlatformClient>();
        Fake.Throttle("/iodm/app/sub/v1.1.0/subscribe", 2);

        var result = await client.SubscribeAsync(NotifyTypes.SwUpgradeResult, "https://func.example.net/push");

        Assert.Equal(SubscribeOutcome.Subscribed, result.Outcome);
        Assert.Equal(3, Fake.RequestsTo("/iodm/app/sub/v1.1.0/subscribe").Count);
    }

    [Fact]
    public async Task ClientFromHttpClientFactory_RegistersTheOptionsItWasGiven_AndRefusesMissingArguments()
    {
        var options = Ctx.Options();
        var services = new ServiceCollection();
        services.AddHuaweiIotPlatformClient(options);
        await using var provider = services.BuildServiceProvider();

        Assert.Same(options, provider.GetRequiredService<PlatformClientOptions>());
        Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddHuaweiIotPlatformClient(options));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddHuaweiIotPlatformClient(null!));
    }

    [Fact]
    public void Options_WithoutAnApplicationIdOrSecret_AreAConfigurationError_NamingTheSetting()
    {
        var noAppId = Assert.Throws<PlatformConfigurationException>(() =>
            new HuaweiIotPlatformClient(new PlatformClientOptions { BaseUrl = Fake.BaseUrl, Secret = "s" }));
        var noSecret = Assert.Throws<PlatformConfigurationException>(() =>
            new HuaweiIotPlatformClient(new PlatformClientOptions { BaseUrl = Fake.BaseUrl, AppId = "a" }));

        Assert.Equal((PlatformFix.AppId, PlatformFix.AppSecret), (noAppId.Fix, noSecret.Fix));
        Assert.Contains("SWUPGRADE_APP_ID", CliAdvice.Describe(noAppId), StringComparison.Ordinal);
        Assert.Contains("SWUPGRADE_APP_SECRET", CliAdvice.Describe(noSecret), StringComparison.Ordinal);
    }

    [Fact]
    public void CaFile_ThatDoesNotExist_IsAConfigurationError_NamingIt()
    {
        var missing = Path.Combine(Ctx.Ca.Directory, "no-such-ca.pem");

        var e = Assert.Throws<PlatformConfigurationException>(() => Ctx.Client(o => o.CaFile = missing));

        Assert.Contains($"The CA file '{missing}' could not be read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientCertificate_WithoutItsPrivateKey_IsAConfigurationError()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(Ctx.Ca.Root.RawData);
        var file = Ctx.Ca.WritePkcs12(publicOnly, "pw", "public-only.p12");

        var e = Assert.Throws<PlatformConfigurationException>(() => Ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "pw";
        }));

        Assert.Contains($"'{file}' has no private key", e.Message, StringComparison.Ordinal);
    }
}
