using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SwUpgrade.Cli.Simulation;

/// <summary>
/// The certificate <c>simulate --client-cert</c> presents as the platform does with "Use Device Certificate" on: read
/// from a PEM file (the certificate, optionally with its key) or a PKCS#12 (PFX) file.
/// </summary>
public static class PresentedCertificate
{
    public const string Flag = "--client-cert";

    /// <summary>The header Azure's front end sets for the app: base64 of the certificate's DER.</summary>
    public const string ForwardedHeader = "X-ARR-ClientCert";

    /// <summary>
    /// Loads the certificate, or says why it cannot be read (naming the flag, never the password). A PFX password comes
    /// from <paramref name="password"/> (the environment), never from a flag, so it stays out of the process list.
    /// </summary>
    public static X509Certificate2? Load(string path, string? password, out string? error)
    {
        error = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{Flag} '{path}' cannot be read ({ex.GetType().Name}).";
            return null;
        }

        try
        {
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                return text.Contains("PRIVATE KEY-----", StringComparison.Ordinal)
                    ? X509Certificate2.CreateFromPem(text, text)
                    : X509Certificate2.CreateFromPem(text);
            }

            return X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12
                ? X509CertificateLoader.LoadPkcs12(bytes, password)
                : X509CertificateLoader.LoadCertificate(bytes);
        }
        catch (CryptographicException)
        {
            error = $"{Flag} '{path}' is not a readable PEM or PFX certificate (a PFX with a password needs SWUPGRADE_CLIENT_CERT_PASSWORD).";
            return null;
        }
    }

    /// <summary>The value of <see cref="ForwardedHeader"/> for the certificate.</summary>
    public static string HeaderValue(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToBase64String(certificate.RawData);
    }
}
