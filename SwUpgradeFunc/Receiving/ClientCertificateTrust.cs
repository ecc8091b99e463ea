using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace SwUpgradeFunc.Receiving;

/// <summary>
/// The trust material of <see cref="ClientCertificateOptions"/>, read once: the CA roots and intermediates, and the
/// pinned SHA-256 thumbprints. Reading it is also the options' start-up validation, so a setting that cannot be used
/// stops the app with its key named instead of refusing every push later.
/// </summary>
public sealed class ClientCertificateTrust
{
    private const string CaKey = "Receiver:ClientCertificate:CaCertificates (Receiver__ClientCertificate__CaCertificates)";
    private const string PinsKey = "Receiver:ClientCertificate:Thumbprints (Receiver__ClientCertificate__Thumbprints)";

    private ClientCertificateTrust(X509Certificate2Collection roots, X509Certificate2Collection intermediates, IReadOnlySet<string> pins)
    {
        Roots = roots;
        Intermediates = intermediates;
        Pins = pins;
    }

    /// <summary>Self-signed certificates of the bundle: the only trust anchors (no operating-system store).</summary>
    public X509Certificate2Collection Roots { get; }

    public X509Certificate2Collection Intermediates { get; }

    /// <summary>Upper-case hex SHA-256 thumbprints without separators.</summary>
    public IReadOnlySet<string> Pins { get; }

    public bool HasCa => Roots.Count > 0;

    /// <summary>Reads the options' trust material, or says which setting is unusable and why.</summary>
    public static bool TryLoad(ClientCertificateOptions options, out ClientCertificateTrust trust, out string? error)
    {
        ArgumentNullException.ThrowIfNull(options);
        trust = new ClientCertificateTrust([], [], new HashSet<string>());
        if (!TryReadPins(options.Thumbprints, out var pins, out error)
            || !TryReadCa(options.CaCertificates, out var roots, out var intermediates, out error))
        {
            return false;
        }

        if (options.IsRequired && roots.Count == 0 && pins.Count == 0)
        {
            error = $"Receiver:ClientCertificate:Mode is 'required' but neither {CaKey} nor {PinsKey} is set: " +
                "no certificate could ever be accepted.";
            return false;
        }

        trust = new ClientCertificateTrust(roots, intermediates, pins);
        return true;
    }

    private static bool TryReadPins(string setting, out HashSet<string> pins, out string? error)
    {
        pins = new HashSet<string>(StringComparer.Ordinal);
        error = null;
        foreach (var entry in setting.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var hex = entry.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
            if (hex.Length != SHA256.HashSizeInBytes * 2 || !hex.All(char.IsAsciiHexDigit))
            {
                // The entry itself is a public fingerprint, but only its position is named: a wrong paste may be anything.
                error = $"{PinsKey}: entry {pins.Count + 1} is not a SHA-256 thumbprint (64 hex digits, colons allowed).";
                return false;
            }

            pins.Add(hex);
        }

        return true;
    }

    private static bool TryReadCa(string setting, out X509Certificate2Collection roots, out X509Certificate2Collection intermediates,
        out string? error)
    {
        roots = [];
        intermediates = [];
        error = null;
        if (string.IsNullOrWhiteSpace(setting))
        {
            return true;
        }

        string pem;
        if (setting.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            pem = setting;
        }
        else
        {
            try
            {
                pem = File.ReadAllText(setting.Trim());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                error = $"{CaKey}: the file '{setting.Trim()}' cannot be read ({ex.GetType().Name}). Give a PEM bundle or the path of one.";
                return false;
            }
        }

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            error = $"{CaKey}: the PEM cannot be read as certificates ({ex.Message}).";
            return false;
        }

        if (all.Count == 0)
        {
            error = $"{CaKey}: no CERTIFICATE block found in the PEM.";
            return false;
        }

        foreach (var certificate in all)
        {
            (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) ? roots : intermediates).Add(certificate);
        }

        if (roots.Count == 0)
        {
            error = $"{CaKey}: the bundle holds no self-signed (root) certificate to anchor the chain.";
            return false;
        }

        return true;
    }

    /// <summary>Hex SHA-256 of the certificate's DER, as pins are written.</summary>
    public static string Sha256Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.GetCertHashString(HashAlgorithmName.SHA256).ToUpper(CultureInfo.InvariantCulture);
    }
}

/// <summary>Start-up validation of <see cref="ClientCertificateOptions"/>: the trust material must be usable.</summary>
internal sealed class ClientCertificateOptionsValidation : IValidateOptions<ClientCertificateOptions>
{
    public ValidateOptionsResult Validate(string? name, ClientCertificateOptions options) =>
        ClientCertificateTrust.TryLoad(options, out _, out var error) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error!);
}
