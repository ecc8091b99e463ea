using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Commands;

/// <summary>
/// Turns the library's <see cref="PlatformException.Fix"/> hint into advice in this tool's own names (flags and
/// <c>SWUPGRADE_*</c> variables): the library is shared with the function app, which reads other settings.
/// </summary>
public static class CliAdvice
{
    /// <summary>The exception's message followed by what to change, when the failure points at a setting or input.</summary>
    public static string Describe(PlatformException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.MessageWith(For(error));
    }

    /// <summary>What to change, in this tool's names; null when the message says all there is.</summary>
    public static string? For(PlatformException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        // A setting refused before anything was sent is to be set; one the platform or the connection refused, to be checked.
        var local = error is PlatformConfigurationException;
        return error.Fix switch
        {
            PlatformFix.PlatformUrl when local =>
                $"Set {GlobalOptions.PlatformUrlEnv} or --platform-url, e.g. https://platform.example.com:8743.",
            PlatformFix.PlatformUrl when error is PlatformUnreachableException =>
                $"Check {GlobalOptions.PlatformUrlEnv} (or --platform-url) and the network.",
            PlatformFix.PlatformUrl => $"Check {GlobalOptions.PlatformUrlEnv} (or --platform-url).",
            PlatformFix.AppId when local => $"Set {GlobalOptions.AppIdEnv} or --app-id.",
            PlatformFix.AppId => $"Check {GlobalOptions.AppIdEnv} (or --app-id).",

            // Only the variable: a secret given as a flag shows in the process list and shell history.
            PlatformFix.AppSecret => $"Set {GlobalOptions.AppSecretEnv}.",
            PlatformFix.AppIdAndSecret =>
                $"Check {GlobalOptions.AppIdEnv} and {GlobalOptions.AppSecretEnv} (or --app-id / {GlobalOptions.AppSecretFlag}).",
            PlatformFix.CaFile => $"Pass the platform's CA file (PEM or DER) with --ca-file or {GlobalOptions.CaFileEnv}.",
            PlatformFix.ClientCertificate when local =>
                $"Check the PKCS#12 file given with --client-cert or {GlobalOptions.ClientCertFileEnv}, and its password ({GlobalOptions.ClientCertPasswordEnv}).",
            PlatformFix.ClientCertificate => $"Pass the PKCS#12 file with --client-cert or {GlobalOptions.ClientCertFileEnv}.",
            PlatformFix.CallbackUrlScheme => "Use https, or pass --allow-http-callback if an unencrypted callback is really intended.",
            PlatformFix.ExistingSubscription => ExistingSubscription(error as AlreadySubscribedException),
            PlatformFix.SubscriptionId => "Check the subscription id with 'swupgrade subscriptions list'.",
            _ => null,
        };
    }

    private static string ExistingSubscription(AlreadySubscribedException? error)
    {
        if (error?.NotifyType is not { } type)
        {
            return "List the subscriptions with 'swupgrade subscriptions list', delete the old one, then subscribe again.";
        }

        // Naming the one holder deletes only that subscription; with several (or none listed) the type as a whole is freed.
        var delete = error.Holders.Count == 1
            ? $"swupgrade subscriptions delete --notify-type {type} --callback-url {error.Holders[0]}"
            : $"swupgrade subscriptions delete --notify-type {type}";
        return $"To move it, delete the old one ('{delete}'), then subscribe again.";
    }
}
