using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SwUpgradeFunc.Platform;

/// <summary>
/// TLS settings for the platform connection. The server certificate is always validated: by the system's trust,
/// or, when a CA file is given, additionally by a chain that ends at one of that file's certificates.
/// There is deliberately no way to accept any certificate.
/// </summary>
internal sealed class PlatformTls : IDisposable
{
    private readonly X509Certificate2Collection _extraRoots = [];
    private readonly X509Certificate2Collection _clientCertificates = [];
    private TlsFailure? _lastFailure;
    private bool _clientCertificateRequested;
    private bool _clientCertificateOffered;

    public PlatformTls(PlatformClientOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.CaFile))
        {
            try
            {
                _extraRoots.ImportFromPemFile(options.CaFile);
                if (_extraRoots.Count == 0)
                {
                    // Not PEM: a single DER-encoded certificate.
                    _extraRoots.Add(X509CertificateLoader.LoadCertificateFromFile(options.CaFile));
                }
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new PlatformConfigurationException($"The CA file '{options.CaFile}' could not be read as PEM or DER certificates: {e.Message}", e)
                {
                    Fix = PlatformFix.CaFile,
                };
            }
        }

        if (!string.IsNullOrWhiteSpace(options.ClientCertificateFile))
        {
            X509Certificate2 cert;
            try
            {
                cert = X509CertificateLoader.LoadPkcs12FromFile(options.ClientCertificateFile, options.ClientCertificatePassword);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                // The exception text can name the file but never the password.
                throw new PlatformConfigurationException($"The client certificate '{options.ClientCertificateFile}' could not be loaded as PKCS#12: wrong password or not a PKCS#12 file.", e)
                {
                    Fix = PlatformFix.ClientCertificate,
                };
            }

            if (!cert.HasPrivateKey)
            {
                cert.Dispose();
                throw new PlatformConfigurationException($"The client certificate '{options.ClientCertificateFile}' has no private key.")
                {
                    Fix = PlatformFix.ClientCertificate,
                };
            }

            _clientCertificates.Add(cert);
        }
    }

    /// <summary>Why the last server certificate was refused, and what setting would fix it, for the error.</summary>
    public TlsFailure? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Whether a server asked for a client certificate during a handshake.</summary>
    public bool ClientCertificateRequested => Volatile.Read(ref _clientCertificateRequested);

    /// <summary>Whether the client certificate was handed to a TLS handshake.</summary>
    public bool ClientCertificateOffered => Volatile.Read(ref _clientCertificateOffered);

    /// <summary>Whether a client certificate is configured.</summary>
    public bool HasClientCertificate => _clientCertificates.Count > 0;

    /// <summary>The configured client certificate's subject, for messages.</summary>
    public string? ClientCertificateSubject => _clientCertificates.Count > 0 ? _clientCertificates[0].Subject : null;

    public SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.None, // the system's secure defaults (TLS 1.2/1.3)
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = ValidateServerCertificate,
            },
        };
        if (_clientCertificates.Count > 0)
        {
            handler.SslOptions.ClientCertificates = _clientCertificates;
        }

        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, local, remote, _) =>
        {
            if (remote is not null)
            {
                // The server asked for a client certificate (remembered for the error message if it then hangs up).
                Volatile.Write(ref _clientCertificateRequested, true);
            }

            if (local.Count > 0)
            {
                Volatile.Write(ref _clientCertificateOffered, true);
                return local[0];
            }

            return null!;
        };

        return handler;
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return Fail("the server presented no certificate", null);
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return Fail("the server certificate does not match the host name in the platform URL", PlatformFix.PlatformUrl);
        }

        if (_extraRoots.Count == 0)
        {
            return Fail("the server certificate is not trusted by this machine, and no CA file is configured", PlatformFix.CaFile);
        }

        // Only chain errors are left: build the chain again, ending at the configured CA instead of the system roots.
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            if (custom.Build(leaf))
            {
                return true;
            }

            var reasons = string.Join("; ", custom.ChainStatus.Select(s => Describe(s.Status)).Distinct());
            return Fail($"the server certificate is not trusted by the configured CA file: {reasons}", PlatformFix.CaFile);
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate))
            {
                leaf.Dispose();
            }
        }
    }

    /// <summary>A chain problem in words (the enum names mean little to an operator).</summary>
    internal static string Describe(X509ChainStatusFlags status) => status switch
    {
        X509ChainStatusFlags.PartialChain => "its chain does not lead to a certificate in the CA file",
        X509ChainStatusFlags.UntrustedRoot => "it ends at a root certificate that is not in the CA file",
        X509ChainStatusFlags.NotTimeValid => "a certificate in its chain has expired or is not yet valid",
        X509ChainStatusFlags.NotSignatureValid => "a signature in its chain does not verify",
        X509ChainStatusFlags.Revoked => "a certificate in its chain is revoked",
        X509ChainStatusFlags.NotValidForUsage => "it is not valid for server authentication",
        X509ChainStatusFlags.InvalidBasicConstraints => "an issuer in its chain is not a certificate authority",
        _ => "the chain check failed (" + System.Text.RegularExpressions.Regex.Replace(status.ToString(), "(?<=[a-z])(?=[A-Z])", " ").ToLowerInvariant() + ")",
    };

    private bool Fail(string reason, PlatformFix? fix)
    {
        Volatile.Write(ref _lastFailure, new TlsFailure(reason, fix));
        return false;
    }

    public void Dispose()
    {
        foreach (var c in _extraRoots)
        {
            c.Dispose();
        }

        foreach (var c in _clientCertificates)
        {
            c.Dispose();
        }
    }
}

/// <summary>Why a server certificate was refused, in words, and the setting that would fix it.</summary>
internal sealed record TlsFailure(string Reason, PlatformFix? Fix);
