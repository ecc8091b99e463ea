using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SwUpgradeFunc.Tests.Platform.Fake;

/// <summary>A certificate authority made at test time, with its files in a temporary folder.</summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly List<X509Certificate2> _issued = [];

    private TestCertificateAuthority(X509Certificate2 root, string directory)
    {
        Root = root;
        Directory = directory;
        CaFile = Path.Combine(directory, "ca.pem");
        File.WriteAllText(CaFile, root.ExportCertificatePem());
    }

    public X509Certificate2 Root { get; }

    public string Directory { get; }

    /// <summary>The root certificate as PEM: what an operator passes with --ca-file.</summary>
    public string CaFile { get; }

    public static TestCertificateAuthority Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=SwUpgradeFunc tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        var root = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        var dir = Path.Combine(Path.GetTempPath(), "swupgrade-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return new TestCertificateAuthority(root, dir);
    }

    /// <summary>
    /// An intermediate authority signed by this one, in its own folder (its <see cref="CaFile"/> holds the intermediate,
    /// not this root): for servers whose certificate comes from an intermediate, as public platforms' usually do.
    /// </summary>
    public TestCertificateAuthority CreateIntermediate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=SwUpgradeFunc tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var publicOnly = request.Create(Root, now.AddMinutes(-4), now.AddHours(20), serial);
        using var withKey = publicOnly.CopyWithPrivateKey(key);
        var intermediate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        var dir = Path.Combine(Path.GetTempPath(), "swupgrade-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return new TestCertificateAuthority(intermediate, dir);
    }

    /// <summary>A server certificate for 127.0.0.1 and localhost.</summary>
    public X509Certificate2 IssueServerCertificate()
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        return Issue("CN=127.0.0.1", san.Build(), new OidCollection { new("1.3.6.1.5.5.7.3.1") });
    }

    /// <summary>A server certificate for 127.0.0.1 that expired two minutes ago (within the CA's own validity).</summary>
    public X509Certificate2 IssueExpiredServerCertificate()
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        return Issue("CN=127.0.0.1", san.Build(), new OidCollection { new("1.3.6.1.5.5.7.3.1") }, expired: true);
    }

    /// <summary>A server certificate for a DNS name only (no IP address): valid from this CA, but not for 127.0.0.1.</summary>
    public X509Certificate2 IssueServerCertificate(string dnsName)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        return Issue($"CN={dnsName}", san.Build(), new OidCollection { new("1.3.6.1.5.5.7.3.1") });
    }

    /// <summary>A client certificate (what the platform's SDK presents from its PKCS#12 file).</summary>
    public X509Certificate2 IssueClientCertificate(string commonName) =>
        Issue($"CN={commonName}", null, new OidCollection { new("1.3.6.1.5.5.7.3.2") });

    /// <summary>Writes a certificate with its key as a password-protected PKCS#12 file.</summary>
    public string WritePkcs12(X509Certificate2 certificate, string password, string fileName = "client.p12")
    {
        var path = Path.Combine(Directory, fileName);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    /// <summary>Checks that a presented certificate was issued by this authority.</summary>
    public bool Issued(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private X509Certificate2 Issue(string subject, X509Extension? san, OidCollection usages, bool expired = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var from = new DateTimeOffset(Root.NotBefore.ToUniversalTime()); // never before the issuer's own validity
        using var publicOnly = expired
            ? request.Create(Root, from, now.AddMinutes(-2), serial)
            : request.Create(Root, from, now.AddHours(12), serial);
        using var withKey = publicOnly.CopyWithPrivateKey(key);
        var result = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        _issued.Add(result);
        return result;
    }

    public void Dispose()
    {
        foreach (var c in _issued)
        {
            c.Dispose();
        }

        Root.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
