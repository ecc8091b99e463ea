using System.ComponentModel.DataAnnotations;

namespace SwUpgradeFunc.Receiving;

/// <summary>
/// The check of the certificate the platform presents on the callback (section <c>Receiver:ClientCertificate</c>,
/// app settings <c>Receiver__ClientCertificate__*</c>). Azure's front end, or a gateway before the app, ends TLS and
/// forwards the caller's certificate in <see cref="ClientCertificateCheck.HeaderName"/>; this app verifies it.
/// </summary>
public sealed class ClientCertificateOptions
{
    public const string Section = ReceiverOptions.Section + ":ClientCertificate";

    public const string Off = "off";
    public const string Required = "required";

    /// <summary><c>off</c> (the default: the header is ignored and any caller may push) or <c>required</c>.</summary>
    [RegularExpression("^(?i:off|required)$",
        ErrorMessage = "Receiver:ClientCertificate:Mode (Receiver__ClientCertificate__Mode) must be 'off' or 'required'.")]
    public string Mode { get; set; } = Off;

    /// <summary>
    /// The certificate authorities the platform's certificate must chain to, in PEM: the PEM text itself (which a Key
    /// Vault reference can supply) or the path of a PEM file. Self-signed certificates are the roots; others in the
    /// bundle serve as intermediates.
    /// </summary>
    public string CaCertificates { get; set; } = "";

    /// <summary>
    /// Comma-separated SHA-256 thumbprints (64 hex digits, colons allowed) of the certificates accepted; with a CA
    /// bundle as well, a certificate must both chain to it and match a pin.
    /// </summary>
    public string Thumbprints { get; set; } = "";

    /// <summary>
    /// When set, the certificate must carry this name: as its whole subject (e.g. <c>CN=iot, O=Example</c>), its
    /// common name, or one of its DNS subject alternative names (compared ignoring case).
    /// </summary>
    public string ExpectedSubject { get; set; } = "";

    public bool IsRequired => string.Equals(Mode, Required, StringComparison.OrdinalIgnoreCase);
}
