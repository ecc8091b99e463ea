using System.CommandLine;
using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Commands;

/// <summary>The options of the commands that talk to the platform (recursive on each), and how they become client settings.</summary>
public sealed class GlobalOptions
{
    public const string PlatformUrlEnv = "SWUPGRADE_PLATFORM_URL";
    public const string AppIdEnv = "SWUPGRADE_APP_ID";
    public const string AppSecretEnv = "SWUPGRADE_APP_SECRET";
    public const string CaFileEnv = "SWUPGRADE_CA_FILE";
    public const string ClientCertFileEnv = "SWUPGRADE_CLIENT_CERT_FILE";
    public const string ClientCertPasswordEnv = "SWUPGRADE_CLIENT_CERT_PASSWORD";

    public const string AppSecretFlag = "--app-secret";
    public const string ClientCertPasswordFlag = "--client-cert-password";

    public Option<string?> PlatformUrl { get; } = new("--platform-url")
    {
        Description = $"The platform's northbound base URL, e.g. https://platform.example.com:8743 (env {PlatformUrlEnv}).",
        Recursive = true,
        HelpName = "URL",
    };

    public Option<string?> AppId { get; } = new("--app-id")
    {
        Description = $"The application id (env {AppIdEnv}).",
        Recursive = true,
        HelpName = "ID",
    };

    public Option<string?> AppSecret { get; } = new(AppSecretFlag)
    {
        Description = $"The application secret. Prefer env {AppSecretEnv}: a flag shows in the process list and shell history.",
        Recursive = true,
        HelpName = "SECRET",
    };

    public Option<string?> CaFile { get; } = new("--ca-file")
    {
        Description = $"PEM/DER file with the platform's CA certificate(s), trusted in addition to the system's (env {CaFileEnv}).",
        Recursive = true,
        HelpName = "FILE",
    };

    public Option<string?> ClientCert { get; } = new("--client-cert")
    {
        Description = $"PKCS#12 file with the client certificate to present (env {ClientCertFileEnv}).",
        Recursive = true,
        HelpName = "FILE",
    };

    public Option<string?> ClientCertPassword { get; } = new(ClientCertPasswordFlag)
    {
        Description = $"Password of the PKCS#12 file. Prefer env {ClientCertPasswordEnv}.",
        Recursive = true,
        HelpName = "PASSWORD",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write machine-readable JSON to stdout instead of tables.",
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(PlatformUrl);
        command.Options.Add(AppId);
        command.Options.Add(AppSecret);
        command.Options.Add(CaFile);
        command.Options.Add(ClientCert);
        command.Options.Add(ClientCertPassword);
        command.Options.Add(Json);
    }

    /// <summary>Reads the settings: a flag wins over its environment variable. Throws <see cref="UsageException"/> when one is missing.</summary>
    public PlatformClientOptions Resolve(ParseResult parse, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(context);
        var url = parse.GetValue(PlatformUrl) ?? context.Env(PlatformUrlEnv);
        var appId = parse.GetValue(AppId) ?? context.Env(AppIdEnv);
        var secret = parse.GetValue(AppSecret) ?? context.Env(AppSecretEnv);
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(url))
        {
            missing.Add($"the platform URL (--platform-url or {PlatformUrlEnv})");
        }

        if (string.IsNullOrWhiteSpace(appId))
        {
            missing.Add($"the application id (--app-id or {AppIdEnv})");
        }

        if (string.IsNullOrEmpty(secret))
        {
            missing.Add($"the application secret ({AppSecretEnv})");
        }

        if (missing.Count > 0)
        {
            throw new UsageException("Missing " + string.Join(", ", missing) + ".");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"The platform URL '{url}' is not an absolute https URL, e.g. https://platform.example.com:8743.");
        }

        var options = new PlatformClientOptions
        {
            BaseUrl = baseUrl,
            AppId = appId!,
            Secret = secret!,
            CaFile = parse.GetValue(CaFile) ?? context.Env(CaFileEnv),
            ClientCertificateFile = parse.GetValue(ClientCert) ?? context.Env(ClientCertFileEnv),
            ClientCertificatePassword = parse.GetValue(ClientCertPassword) ?? context.Env(ClientCertPasswordEnv),
        };
        foreach (var (file, what) in new[] { (options.CaFile, "CA file"), (options.ClientCertificateFile, "client certificate file") })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new UsageException($"The {what} '{file}' does not exist.");
            }
        }

        context.ConfigureClient?.Invoke(options);
        return options;
    }
}

/// <summary>Bad arguments or settings (exit code 2).</summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
