using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Receiving;

public sealed class ClientCertificateCheckTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 30, 0, TimeSpan.Zero);

    private readonly PushCertificates _certificates = new(Now);
    private readonly FakeTimeProvider _time = new(Now);

    public void Dispose() => _certificates.Dispose();

    private ClientCertificateCheck Check(Action<ClientCertificateOptions>? configure = null)
    {
        var options = new ClientCertificateOptions { Mode = "required", CaCertificates = _certificates.CaPem };
        configure?.Invoke(options);
        return new ClientCertificateCheck(Options.Create(options), _time);
    }

    private static ClientCertificateVerdict Present(ClientCertificateCheck check, X509Certificate2 certificate) =>
        check.Check([PushCertificates.Header(certificate)]);

    [Fact]
    public void Check_AcceptsALeafOfTheConfiguredCa_AndNamesItsSubjectAndThumbprint()
    {
        var verdict = Present(Check(), _certificates.Valid);

        Assert.True(verdict.Accepted, verdict.Detail);
        Assert.Equal(_certificates.Valid.Subject, verdict.Subject);
        Assert.Equal(PushCertificates.Pin(_certificates.Valid), verdict.Thumbprint);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "expired", "client-certificate-expired" },
        { "not-yet-valid", "client-certificate-not-yet-valid" },
        { "other-ca", "client-certificate-untrusted" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Check_RefusesACertificate_WithTheProblemOfItsReason(string which, string code)
    {
        var certificate = which switch
        {
            "expired" => _certificates.Expired,
            "not-yet-valid" => _certificates.NotYetValid,
            _ => _certificates.FromOtherCa,
        };

        var verdict = Present(Check(), certificate);

        Assert.False(verdict.Accepted);
        Assert.Equal(code, verdict.Problem!.Code);
        Assert.Equal(403, verdict.Problem.Status);
    }

    [Fact]
    public void Check_RefusesTheOtherCasLeaf_EvenWithThatCaInTheOperatingSystemsSense_OnlyTheConfiguredRootsCount()
    {
        // The other CA's root is self-signed and valid: only the configured bundle may anchor a chain.
        var verdict = Present(Check(), _certificates.OtherCa);

        Assert.Equal(ProblemType.ClientCertificateUntrusted, verdict.Problem);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Check_RefusesAPushWithoutCertificate_AsMissing(string? value)
    {
        string?[] values = value is null ? [] : [value];

        Assert.Equal(ProblemType.ClientCertificateMissing, Check().Check(values).Problem);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("AAAA")]
    [InlineData("TUlJQg==")]
    public void Check_RefusesAHeaderThatIsNoDerCertificate_AsMalformed(string header)
    {
        Assert.Equal(ProblemType.ClientCertificateMalformed, Check().Check([header]).Problem);
    }

    [Fact]
    public void Check_RefusesAnOverlongHeader_AsMalformed()
    {
        var header = PushCertificates.Header(_certificates.Valid) + new string('A', 20_000);

        Assert.Equal(ProblemType.ClientCertificateMalformed, Check().Check([header]).Problem);
    }

    [Fact]
    public void Check_RefusesTwoCertificateHeaders_AsMalformed()
    {
        var header = PushCertificates.Header(_certificates.Valid);

        Assert.Equal(ProblemType.ClientCertificateMalformed, Check().Check([header, header]).Problem);
    }

    [Fact]
    public void Check_AcceptsAPinnedCertificate_WithoutACa()
    {
        var check = Check(o => (o.CaCertificates, o.Thumbprints) = ("", PushCertificates.Pin(_certificates.FromOtherCa)));

        Assert.True(Present(check, _certificates.FromOtherCa).Accepted);
        Assert.Equal(ProblemType.ClientCertificatePinMismatch, Present(check, _certificates.Valid).Problem);
    }

    [Fact]
    public void Check_AcceptsPinsWrittenWithColonsAndInLowerCase()
    {
        var pin = string.Join(':', PushCertificates.Pin(_certificates.Valid).ToLowerInvariant().Chunk(2).Select(c => new string(c)));

        Assert.True(Present(Check(o => o.Thumbprints = pin), _certificates.Valid).Accepted);
    }

    [Fact]
    public void Check_WithCaAndPins_RefusesAChainingCertificateThatIsNotPinned()
    {
        var check = Check(o => o.Thumbprints = PushCertificates.Pin(_certificates.OtherName));

        Assert.Equal(ProblemType.ClientCertificatePinMismatch, Present(check, _certificates.Valid).Problem);
        Assert.True(Present(check, _certificates.OtherName).Accepted);
    }

    [Fact]
    public void Check_PinsDoNotOverrideTheValidityPeriod()
    {
        var check = Check(o => (o.CaCertificates, o.Thumbprints) = ("", PushCertificates.Pin(_certificates.Expired)));

        Assert.Equal(ProblemType.ClientCertificateExpired, Present(check, _certificates.Expired).Problem);
    }

    [Theory]
    [InlineData(PushCertificates.PlatformName)]
    [InlineData("IOT-PLATFORM.example")]
    [InlineData("CN=iot-platform.example, O=Platform")]
    public void Check_AcceptsTheExpectedSubject_AsCommonNameDnsNameOrWholeSubject(string expected)
    {
        var check = Check(o => o.ExpectedSubject = expected);

        Assert.True(Present(check, _certificates.Valid).Accepted);
        Assert.Equal(ProblemType.ClientCertificateSubjectMismatch, Present(check, _certificates.OtherName).Problem);
    }

    [Fact]
    public void Check_RefusesACertificateOnceItExpires_AfterHavingAcceptedIt()
    {
        var check = Check();
        Assert.True(Present(check, _certificates.Valid).Accepted);

        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        Assert.Equal(ProblemType.ClientCertificateExpired, Present(check, _certificates.Valid).Problem);
    }

    [Fact]
    public void Check_NamesEachRememberedCertificate_WhenTwoTrustedCertificatesAlternate()
    {
        var check = Check();

        var verdicts = new[] { _certificates.Valid, _certificates.OtherName, _certificates.Valid, _certificates.OtherName }
            .Select(c => Present(check, c)).ToList();

        Assert.All(verdicts, v => Assert.True(v.Accepted));
        Assert.Equal([_certificates.Valid.Subject, _certificates.OtherName.Subject, _certificates.Valid.Subject, _certificates.OtherName.Subject],
            verdicts.Select(v => v.Subject));
    }

    [Fact]
    public void Check_AcceptsALeafOfAnIntermediate_WhenTheBundleHoldsTheIntermediateAndItsRoot()
    {
        using var intermediate = IntermediateOf(_certificates.Ca, out var leaf);
        using (leaf)
        {
            var check = Check(o => o.CaCertificates = _certificates.CaPem + "\n" + intermediate.ExportCertificatePem());

            Assert.True(Present(check, leaf).Accepted);
            Assert.Equal(ProblemType.ClientCertificateUntrusted, Present(Check(), leaf).Problem);
        }
    }

    [Fact]
    public void Check_IgnoresTheHeader_WhenModeIsOff()
    {
        var check = Check(o => o.Mode = "off");

        Assert.False(check.IsRequired);
        Assert.True(check.Check([]).Accepted);
        Assert.True(check.Check(["garbage"]).Accepted);
        Assert.True(Present(check, _certificates.Expired).Accepted);
    }

    [Fact]
    public void Check_ReadsTheCaFromAFile_WhenTheSettingIsAPath()
    {
        var path = Path.Combine(Path.GetTempPath(), "swupgrade-ca-" + Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, _certificates.CaPem);
        try
        {
            Assert.True(Present(Check(o => o.CaCertificates = path), _certificates.Valid).Accepted);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, string, string, string> BadSettings => new()
    {
        { "required", "", "", "neither" },
        { "required", "/no/such/ca.pem", "", "CaCertificates" },
        { "required", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----", "", "CaCertificates" },
        { "required", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "", "CaCertificates" },
        { "required", "", "abc123", "Thumbprints" },
        { "off", "", "zz" + new string('0', 62), "Thumbprints" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Trust_IsRefused_NamingTheSetting_WhenItCannotBeUsed(string mode, string ca, string pins, string named)
    {
        var options = new ClientCertificateOptions { Mode = mode, CaCertificates = ca, Thumbprints = pins };

        Assert.False(ClientCertificateTrust.TryLoad(options, out _, out var error));
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => new ClientCertificateCheck(Options.Create(options), _time));
    }

    [Fact]
    public void Trust_RefusesABundleWithoutRoot_BecauseNothingWouldAnchorTheChain()
    {
        using var intermediate = IntermediateOf(_certificates.Ca, out var leaf);
        leaf.Dispose();
        var options = new ClientCertificateOptions { Mode = "required", CaCertificates = intermediate.ExportCertificatePem() };

        Assert.False(ClientCertificateTrust.TryLoad(options, out _, out var error));
        Assert.Contains("root", error, StringComparison.Ordinal);
    }

    private static X509Certificate2 IntermediateOf(X509Certificate2 root, out X509Certificate2 leaf)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=SwUpgradeFunc test intermediate", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var publicOnly = request.Create(root, Now.AddDays(-1), Now.AddDays(5), [1, 2, 3]);
        var intermediate = publicOnly.CopyWithPrivateKey(key);

        using var leafKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=" + PushCertificates.PlatformName, leafKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        leaf = leafRequest.Create(intermediate, Now.AddHours(-1), Now.AddDays(1), [4, 5, 6]);
        return intermediate;
    }
}
