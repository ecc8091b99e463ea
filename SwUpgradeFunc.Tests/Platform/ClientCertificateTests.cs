using SwUpgrade.Cli.Platform;

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
    public async Task MissingClientCertificate_IsRefusedByTheServer()
    {
        using var client = _ctx.Client();

        await Assert.ThrowsAnyAsync<PlatformException>(() => client.ListSubscriptionsAsync(null, 0, 10));

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
}
