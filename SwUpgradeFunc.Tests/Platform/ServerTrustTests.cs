using System.Security.Cryptography.X509Certificates;
using SwUpgrade.Cli.Platform;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// The trust settings that cannot be used, and chain problems in words: the operator has to learn from the message alone
/// whether to fix a file or distrust the endpoint.
/// </summary>
public sealed class ServerTrustTests : IAsyncLifetime
{
    private PlatformTestContext _ctx = null!;

    public async Task InitializeAsync() => _ctx = await PlatformTestContext.StartAsync();

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void CaFile_ThatDoesNotExist_IsAConfigurationError_NamingIt()
    {
        var missing = Path.Combine(_ctx.Ca.Directory, "no-such-ca.pem");

        var e = Assert.Throws<PlatformConfigurationException>(() => _ctx.Client(o => o.CaFile = missing));

        Assert.Contains($"The CA file '{missing}' could not be read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientCertificate_WithoutItsPrivateKey_IsAConfigurationError()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(_ctx.Ca.Root.RawData);
        var file = _ctx.Ca.WritePkcs12(publicOnly, "pw", "public-only.p12");

        var e = Assert.Throws<PlatformConfigurationException>(() => _ctx.Client(o =>
        {
            o.ClientCertificateFile = file;
            o.ClientCertificatePassword = "pw";
        }));

        Assert.Contains($"'{file}' has no private key", e.Message, StringComparison.Ordinal);
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
