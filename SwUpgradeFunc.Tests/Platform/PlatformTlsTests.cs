using System.Security.Cryptography.X509Certificates;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>The TLS settings on their own: CA bundles, intermediates, expired server certificates, chain problems in words, and whether a server asked for a client certificate.</summary>
public sealed class PlatformTlsTests
{
    private static HuaweiIotPlatformClient ClientOf(FakeHuaweiPlatform fake, string caFile) => new(new PlatformClientOptions
    {
        BaseUrl = fake.BaseUrl,
        AppId = fake.AppId,
        Secret = fake.Secret,
        CaFile = caFile,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
    });

    [Fact]
    public async Task CaFile_WithSeveralCertificates_TrustsAServerFromAnyOfThem()
    {
        await using var ctx = await PlatformTestContext.StartAsync();
        using var other = TestCertificateAuthority.Create("Another CA in the bundle");
        var bundle = Path.Combine(ctx.Ca.Directory, "bundle.pem");
        await File.WriteAllTextAsync(bundle, other.Root.ExportCertificatePem() + "\n" + ctx.Ca.Root.ExportCertificatePem() + "\n");
        using var client = ctx.Client(o => o.CaFile = bundle);

        var subscriptions = await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.NotNull(subscriptions);
    }

    [Fact]
    public async Task ExpiredServerCertificate_FromTheConfiguredCa_IsRefused_SayingItExpired()
    {
        using var ca = TestCertificateAuthority.Create("Fake IoT platform CA");
        await using var fake = await FakeHuaweiPlatform.StartAsync(ca, serverCertificate: ca.IssueExpiredServerCertificate());
        using var client = ClientOf(fake, ca.CaFile);

        var e = await Assert.ThrowsAsync<PlatformTlsException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Contains("not trusted by the configured CA file: a certificate in its chain has expired or is not yet valid", e.Message,
            StringComparison.Ordinal);
        Assert.Empty(fake.Requests);
    }

    [Fact]
    public async Task ExpiredServerCertificate_FromAnotherCa_ListsEveryReason()
    {
        using var ca = TestCertificateAuthority.Create("Fake IoT platform CA");
        using var other = TestCertificateAuthority.Create("Some other CA");
        await using var fake = await FakeHuaweiPlatform.StartAsync(ca, serverCertificate: ca.IssueExpiredServerCertificate());
        using var client = ClientOf(fake, other.CaFile);

        var e = await Assert.ThrowsAsync<PlatformTlsException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Contains("a certificate in its chain has expired or is not yet valid", e.Message, StringComparison.Ordinal);
        Assert.Contains("its chain does not lead to a certificate in the CA file", e.Message, StringComparison.Ordinal);
        Assert.Matches("configured CA file: [^;]+; [^;]+", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientCertificateRequested_SaysWhetherTheServerAskedForOne(bool serverAsks)
    {
        await using var ctx = await PlatformTestContext.StartAsync(requireClientCertificate: serverAsks);
        using var tls = new PlatformTls(ctx.Options());
        using var http = new HttpClient(tls.CreateHandler());

        try
        {
            using var response = await http.GetAsync(ctx.Fake.BaseUrl);
        }
        catch (HttpRequestException) when (serverAsks)
        {
            // Without a certificate to give, the server that asked for one closes the connection.
        }

        Assert.Equal(serverAsks, tls.ClientCertificateRequested);
        Assert.False(tls.ClientCertificateOffered);
    }

    [Fact]
    public async Task ServerCertificate_FromAnIntermediateTheServerSends_IsTrusted_WithTheRootAloneInTheCaFile()
    {
        using var root = TestCertificateAuthority.Create("Fake IoT platform root CA");
        using var intermediate = root.CreateIntermediate("Fake IoT platform issuing CA");
        await using var fake = await FakeHuaweiPlatform.StartAsync(intermediate, serverCertificate: intermediate.IssueServerCertificate(),
            serverCertificateChain: [X509CertificateLoader.LoadCertificate(intermediate.Root.RawData)]);
        using var client = ClientOf(fake, root.CaFile);

        var subscriptions = await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.NotNull(subscriptions);
        Assert.Equal(1, fake.LoginCount);
    }

    [Theory]
    [InlineData(X509ChainStatusFlags.PartialChain, "its chain does not lead to a certificate in the CA file")]
    [InlineData(X509ChainStatusFlags.UntrustedRoot, "it ends at a root certificate that is not in the CA file")]
    [InlineData(X509ChainStatusFlags.NotTimeValid, "a certificate in its chain has expired or is not yet valid")]
    [InlineData(X509ChainStatusFlags.NotSignatureValid, "a signature in its chain does not verify")]
    [InlineData(X509ChainStatusFlags.Revoked, "a certificate in its chain is revoked")]
    [InlineData(X509ChainStatusFlags.NotValidForUsage, "it is not valid for server authentication")]
    [InlineData(X509ChainStatusFlags.InvalidBasicConstraints, "an issuer in its chain is not a certificate authority")]
    [InlineData(X509ChainStatusFlags.HasNotSupportedNameConstraint, "the chain check failed (has not supported name constraint)")]
    public void ChainProblems_AreDescribedInWords(X509ChainStatusFlags status, string expected) =>
        Assert.Equal(expected, PlatformTls.Describe(status));
}
