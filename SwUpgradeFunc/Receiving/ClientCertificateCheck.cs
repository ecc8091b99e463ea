using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Http;

namespace SwUpgradeFunc.Receiving;

/// <summary>What the check decided about the certificate of one push; the certificate's public identity for logs.</summary>
public sealed record ClientCertificateVerdict(ProblemType? Problem, string? Detail, string? Subject, string? Thumbprint)
{
    public bool Accepted => Problem is null;

    public static readonly ClientCertificateVerdict NotChecked = new(null, null, null, null);
}

/// <summary>
/// Verifies the certificate that the front end forwards in <see cref="HeaderName"/> (base64 of the DER) against
/// <see cref="ClientCertificateOptions"/>: validity period, chain to the configured CA only (custom root trust, no
/// operating-system store, no downloads, no revocation check: the worker cannot reach the platform's CRLs reliably
/// and a certificate is short-lived enough to be replaced), pins and expected name. With mode <c>off</c> the header
/// is ignored.
/// </summary>
public sealed class ClientCertificateCheck
{
    /// <summary>Set by Azure's front end when the site asks for client certificates; by a gateway in front otherwise.</summary>
    public const string HeaderName = "X-ARR-ClientCert";

    // A certificate chain of a few kilobytes is generous; a longer header is refused before it is decoded.
    private const int MaxHeaderChars = 16 * 1024;
    private const int MaxCached = 64;

    private readonly ClientCertificateOptions _options;
    private readonly ClientCertificateTrust _trust;
    private readonly TimeProvider _time;

    // The platform presents the same certificate on every push: an accepted header is remembered (with the end of the
    // validity of its whole chain), so the chain is built once per certificate rather than once per push. Only
    // accepted certificates are kept, so callers without trusted certificates cannot fill it.
    private readonly ConcurrentDictionary<string, Accepted> _accepted = new(StringComparer.Ordinal);

    private sealed record Accepted(DateTimeOffset ValidUntil, ClientCertificateVerdict Verdict);

    private sealed record LastAccepted(string Header, Accepted Verdict);

    private volatile LastAccepted? _last;

    public ClientCertificateCheck(IOptions<ClientCertificateOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        if (!ClientCertificateTrust.TryLoad(_options, out _trust, out var error))
        {
            throw new OptionsValidationException(ClientCertificateOptions.Section, typeof(ClientCertificateOptions), [error!]);
        }
    }

    public bool IsRequired => _options.IsRequired;

    /// <summary>The header's values as the request carried them (none, one, or several).</summary>
    public ClientCertificateVerdict Check(IReadOnlyList<string?> headerValues)
    {
        ArgumentNullException.ThrowIfNull(headerValues);
        if (!_options.IsRequired)
        {
            return ClientCertificateVerdict.NotChecked;
        }

        if (headerValues.Count > 1)
        {
            return Refuse(ProblemType.ClientCertificateMalformed, $"The request carried {HeaderName} more than once.");
        }

        if (headerValues.Count == 0 || string.IsNullOrWhiteSpace(headerValues[0]))
        {
            return Refuse(ProblemType.ClientCertificateMissing,
                "This receiver requires the platform's client certificate and the request carried none.");
        }

        var header = headerValues[0]!.Trim();
        var now = _time.GetUtcNow();
        // The same certificate as the previous accepted push: one ordinal comparison, no hashing of the header.
        var last = _last;
        Accepted? known = null;
        if (last is not null && string.Equals(last.Header, header, StringComparison.Ordinal))
        {
            known = last.Verdict;
        }
        else if (_accepted.TryGetValue(header, out var found))
        {
            known = found;
            _last = new LastAccepted(header, found);
        }

        if (known is not null)
        {
            if (now <= known.ValidUntil)
            {
                return known.Verdict;
            }

            _accepted.TryRemove(header, out _);
            _last = null;
        }

        using var certificate = Decode(header);
        if (certificate is null)
        {
            return Refuse(ProblemType.ClientCertificateMalformed, $"{HeaderName} is not a base64-encoded DER certificate.");
        }

        var verdict = Verify(certificate, now, out var validUntil);
        if (verdict.Accepted)
        {
            if (_accepted.Count >= MaxCached)
            {
                _accepted.Clear();
            }

            var accepted = new Accepted(validUntil, verdict);
            _accepted[header] = accepted;
            _last = new LastAccepted(header, accepted);
        }

        return verdict;
    }

    private static X509Certificate2? Decode(string header)
    {
        if (header.Length > MaxHeaderChars)
        {
            return null;
        }

        var der = new byte[header.Length * 3 / 4];
        if (!Convert.TryFromBase64String(header, der, out var length) || length == 0)
        {
            return null;
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(der.AsSpan(0, length));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private ClientCertificateVerdict Verify(X509Certificate2 certificate, DateTimeOffset now, out DateTimeOffset validUntil)
    {
        var subject = certificate.Subject;
        var thumbprint = ClientCertificateTrust.Sha256Thumbprint(certificate);
        validUntil = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        ClientCertificateVerdict Refused(ProblemType problem, string detail) => new(problem, detail, subject, thumbprint);

        if (now < certificate.NotBefore.ToUniversalTime())
        {
            return Refused(ProblemType.ClientCertificateNotYetValid,
                $"The client certificate is valid only from {certificate.NotBefore.ToUniversalTime():u}.");
        }

        if (now > certificate.NotAfter.ToUniversalTime())
        {
            return Refused(ProblemType.ClientCertificateExpired,
                $"The client certificate expired at {certificate.NotAfter.ToUniversalTime():u}.");
        }

        if (_trust.HasCa && !Chains(certificate, now, ref validUntil, out var chainProblem))
        {
            return Refused(ProblemType.ClientCertificateUntrusted,
                $"The client certificate does not chain to the configured certificate authority ({chainProblem}).");
        }

        if (_trust.Pins.Count > 0 && !_trust.Pins.Contains(thumbprint))
        {
            return Refused(ProblemType.ClientCertificatePinMismatch,
                "The client certificate's SHA-256 thumbprint is not one of the pinned thumbprints.");
        }

        if (_options.ExpectedSubject.Length > 0 && !CarriesName(certificate, _options.ExpectedSubject.Trim()))
        {
            return Refused(ProblemType.ClientCertificateSubjectMismatch,
                "The client certificate does not carry the expected subject name.");
        }

        return new ClientCertificateVerdict(null, null, subject, thumbprint);
    }

    private bool Chains(X509Certificate2 certificate, DateTimeOffset now, ref DateTimeOffset validUntil, out string problem)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_trust.Roots);
        policy.ExtraStore.AddRange(_trust.Intermediates);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;

        var built = chain.Build(certificate);
        problem = built
            ? ""
            : string.Join(", ", chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct());
        foreach (var element in chain.ChainElements)
        {
            var elementEnd = new DateTimeOffset(element.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            if (elementEnd < validUntil)
            {
                validUntil = elementEnd;
            }

            element.Certificate.Dispose();
        }

        return built;
    }

    private static bool CarriesName(X509Certificate2 certificate, string expected)
    {
        if (string.Equals(certificate.Subject, expected, StringComparison.OrdinalIgnoreCase)
            || string.Equals(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false), expected, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension names
                && names.EnumerateDnsNames().Any(name => string.Equals(name, expected, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    private static ClientCertificateVerdict Refuse(ProblemType problem, string detail) => new(problem, detail, null, null);
}
