using System.Collections;
using System.CommandLine;
using System.CommandLine.Help;
using SwUpgrade.Cli.Commands;

namespace SwUpgrade.Cli;

/// <summary>
/// The <c>swupgrade</c> command line, runnable in-process: arguments, environment and writers in, exit code out.
/// Everything written is passed through a filter that masks the secret and the certificate password.
/// </summary>
public static class CliApp
{
    /// <summary>
    /// The top-level commands. To add one (e.g. <c>simulate</c>), add a factory here; global options
    /// (<see cref="GlobalOptions"/>) are recursive and reach every subcommand.
    /// </summary>
    internal static IReadOnlyList<Func<CliContext, GlobalOptions, Command>> CommandFactories { get; } =
    [
        SubscribeCommand.Create,
        SubscriptionsCommand.Create,
        Simulation.SimulateCommand.Create,
        Reconciliation.ReconcileCommand.Create,
    ];

    public static Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var context = new CliContext
        {
            Stdout = stdout,
            Stderr = stderr,
            Environment = environment ?? ReadProcessEnvironment(),
        };
        return RunAsync(args, context, cancellationToken);
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);

        var secrets = SecretValues(args, context);
        using var stdout = new RedactingTextWriter(context.Stdout, secrets);
        using var stderr = new RedactingTextWriter(context.Stderr, secrets);
        var redacted = new CliContext
        {
            Stdout = stdout,
            Stderr = stderr,
            Environment = context.Environment,
            ConfigureClient = context.ConfigureClient,
            TimeProvider = context.TimeProvider,
        };

        try
        {
            var root = BuildRootCommand(redacted);
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
            {
                // An unmatched token could be a secret typed in the wrong place: name option typos, never echo other values.
                var unmatched = parse.UnmatchedTokens;
                foreach (var error in parse.Errors)
                {
                    if (!unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
                    {
                        await stderr.WriteLineAsync("swupgrade: error: " + error.Message).ConfigureAwait(false);
                    }
                }

                for (var i = 0; i < unmatched.Count; i++)
                {
                    await stderr.WriteLineAsync(unmatched[i].StartsWith('-')
                        ? $"swupgrade: error: Unknown option '{unmatched[i]}'."
                        : $"swupgrade: error: Unexpected argument (the {Ordinal(i + 1)} unrecognized one; its value is not shown in case it is a secret).").ConfigureAwait(false);
                }

                await stderr.WriteLineAsync("Run 'swupgrade --help' (or 'swupgrade COMMAND --help') for usage.").ConfigureAwait(false);
                return ExitCodes.BadArguments;
            }

            var invocation = new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            };
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The root command with every top-level command attached.</summary>
    public static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand(
            "swupgrade: registers the SwUpgradeFunc callback URL with the Huawei IoT platform, lists and deletes subscriptions.\n"
            + "Settings come from flags or the environment variables SWUPGRADE_PLATFORM_URL, SWUPGRADE_APP_ID, SWUPGRADE_APP_SECRET, "
            + "SWUPGRADE_CA_FILE, SWUPGRADE_CLIENT_CERT_FILE and SWUPGRADE_CLIENT_CERT_PASSWORD.\n"
            + "Exit codes: 0 ok, 2 bad arguments, 3 credentials rejected, 4 TLS failure, 5 platform error, 6 platform unreachable, "
            + "9 differences found (reconcile), 10 status API failed (reconcile).");
        var global = new GlobalOptions();
        global.AddTo(root);
        foreach (var factory in CommandFactories)
        {
            root.Subcommands.Add(factory(context, global));
        }

        return root;
    }

    private static string Ordinal(int n) => n switch
    {
        1 => "first",
        2 => "second",
        3 => "third",
        _ => n.ToString(System.Globalization.CultureInfo.InvariantCulture) + "th",
    };

    private static Dictionary<string, string?> ReadProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }

        return result;
    }

    /// <summary>The values that must never be printed: the secret and the certificate password, from flags and environment.</summary>
    private static List<string> SecretValues(string[] args, CliContext context)
    {
        var values = new List<string>();
        string[] secretFlags = [GlobalOptions.AppSecretFlag, GlobalOptions.ClientCertPasswordFlag, Reconciliation.ReconcileCommand.FunctionKeyFlag];
        for (var i = 0; i < args.Length; i++)
        {
            foreach (var flag in secretFlags)
            {
                if (string.Equals(args[i], flag, StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    values.Add(args[i + 1]);
                }
                else if (args[i].StartsWith(flag + "=", StringComparison.Ordinal) || args[i].StartsWith(flag + ":", StringComparison.Ordinal))
                {
                    values.Add(args[i][(flag.Length + 1)..]);
                }
            }
        }

        foreach (var name in new[] { GlobalOptions.AppSecretEnv, GlobalOptions.ClientCertPasswordEnv, Simulation.SimulateCommand.FunctionKeyEnv })
        {
            if (context.Env(name) is { } value)
            {
                values.Add(value);
            }
        }

        return values;
    }
}
