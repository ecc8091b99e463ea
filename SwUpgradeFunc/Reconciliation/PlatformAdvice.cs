using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>
/// Turns the platform library's <see cref="PlatformException.Fix"/> hint into advice in the app's setting names
/// (<c>Platform__*</c>): the library is shared with the CLI, whose flags and variables mean nothing in the app's log.
/// </summary>
public static class PlatformAdvice
{
    public static string BaseUrlSetting { get; } = PlatformOptions.SettingName(nameof(PlatformOptions.BaseUrl));

    public static string AppIdSetting { get; } = PlatformOptions.SettingName(nameof(PlatformOptions.AppId));

    public static string AppSecretSetting { get; } = PlatformOptions.SettingName(nameof(PlatformOptions.AppSecret));

    public static string CaFileSetting { get; } = PlatformOptions.SettingName(nameof(PlatformOptions.CaFile));

    /// <summary>The exception's message followed by what to change, when the failure points at a setting.</summary>
    public static string Describe(PlatformException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.MessageWith(For(error));
    }

    /// <summary>What to change, in the app's names; null when there is nothing in the app's settings to change.</summary>
    public static string? For(PlatformException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Fix switch
        {
            PlatformFix.PlatformUrl when error is PlatformUnreachableException => $"Check {BaseUrlSetting} and the network.",
            PlatformFix.PlatformUrl => $"Check {BaseUrlSetting}, e.g. https://platform.example.com:8743.",
            PlatformFix.AppId => $"Check {AppIdSetting}.",
            PlatformFix.AppSecret => $"Check {AppSecretSetting} (in Azure, the Key Vault secret it references).",
            PlatformFix.AppIdAndSecret => $"Check {AppIdSetting} and {AppSecretSetting} (in Azure, the Key Vault secret it references).",
            PlatformFix.CaFile => $"Set {CaFileSetting} to a PEM or DER file with the platform's CA certificate(s).",

            // The app has no client certificate setting: a platform that demands one cannot be reconciled with.
            PlatformFix.ClientCertificate => "The app presents no client certificate: the platform must accept its connections without one.",

            // Subscribing, callback URLs and subscription ids are the CLI's business; the app only reads upgrade tasks.
            _ => null,
        };
    }
}
