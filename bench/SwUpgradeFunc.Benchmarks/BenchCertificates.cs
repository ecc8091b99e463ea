using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>A CA and a leaf made at set-up, for the receiver with the client certificate check on.</summary>
internal static class BenchCertificates
{
    /// <summary>The CA as PEM, and the leaf as Azure's front end forwards it (base64 of the DER).</summary>
    public static (string CaPem, string LeafHeader) CaAndLeafHeader()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=SwUpgradeFunc bench CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=iot-platform.example", leafKey, HashAlgorithmName.SHA256);
        using var leaf = leafRequest.Create(ca, now.AddHours(-1), now.AddDays(7), [1, 2, 3, 4]);
        return (ca.ExportCertificatePem(), Convert.ToBase64String(leaf.RawData));
    }
}
