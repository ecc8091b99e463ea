using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// Certificates for the callback's client certificate check, made at test time around a given instant: the platform's
/// CA with a valid leaf, an expired one, a not-yet-valid one and one with another name; and a leaf of another CA.
/// </summary>
public sealed class PushCertificates : IDisposable
{
    public const string PlatformName = "iot-platform.example";

    private readonly List<X509Certificate2> _all = [];

    public PushCertificates(DateTimeOffset now)
    {
        Ca = Root("SwUpgradeFunc test platform CA", now);
        OtherCa = Root("SwUpgradeFunc test other CA", now);
        Valid = Leaf(Ca, "CN=" + PlatformName + ", O=Platform", PlatformName, now.AddHours(-1), now.AddDays(1));
        Expired = Leaf(Ca, "CN=" + PlatformName + ", O=Platform", PlatformName, now.AddDays(-2), now.AddMinutes(-1));
        NotYetValid = Leaf(Ca, "CN=" + PlatformName + ", O=Platform", PlatformName, now.AddMinutes(5), now.AddDays(1));
        OtherName = Leaf(Ca, "CN=someone-else.example", "someone-else.example", now.AddHours(-1), now.AddDays(1));
        FromOtherCa = Leaf(OtherCa, "CN=" + PlatformName + ", O=Platform", PlatformName, now.AddHours(-1), now.AddDays(1));
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 OtherCa { get; }

    public X509Certificate2 Valid { get; }

    public X509Certificate2 Expired { get; }

    public X509Certificate2 NotYetValid { get; }

    public X509Certificate2 OtherName { get; }

    public X509Certificate2 FromOtherCa { get; }

    public string CaPem => Ca.ExportCertificatePem();

    /// <summary>What Azure's front end puts in X-ARR-ClientCert: base64 of the leaf's DER.</summary>
    public static string Header(X509Certificate2 certificate) => Convert.ToBase64String(certificate.RawData);

    public static string Pin(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    private X509Certificate2 Root(string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var root = request.CreateSelfSigned(now.AddDays(-30), now.AddDays(30));
        _all.Add(root);
        return root;
    }

    private X509Certificate2 Leaf(X509Certificate2 issuer, string subject, string dnsName, DateTimeOffset from, DateTimeOffset to)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var publicOnly = request.Create(issuer, from, to, serial);
        var leaf = publicOnly.CopyWithPrivateKey(key);
        _all.Add(leaf);
        return leaf;
    }

    public void Dispose()
    {
        foreach (var certificate in _all)
        {
            certificate.Dispose();
        }
    }
}
