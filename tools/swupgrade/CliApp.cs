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
        TasksCommand.Create,
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
            ParseResult parse;
            try
            {
                parse = root.Parse(args);
            }
            catch (InvalidOperationException e)
            {
                // Defence in depth: a validator that reads a missing value must end as a usage error, not a crash.
                await stderr.WriteLineAsync("swupgrade: error: " + e.Message).ConfigureAwait(false);
                await stderr.WriteLineAsync("Run 'swupgrade --help' (or 'swupgrade COMMAND --help') for usage.").ConfigureAwait(false);
                return ExitCodes.BadArguments;
            }

            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
            {
                // A value typed after a secret option (a secret with a space in it, say) is never echoed; anything
                // else the parser did not understand is named, so that a typo can be found.
                var hidden = HiddenTokens(args);
                var hiddenCount = 0;
                foreach (var error in parse.Errors)
                {
                    if (hidden.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
                    {
                        hiddenCount++;
                        await stderr.WriteLineAsync($"swupgrade: error: Unexpected argument after {GlobalOptions.AppSecretFlag} or {GlobalOptions.ClientCertPasswordFlag} (not shown, in case it is part of a secret; quote a value that contains spaces).").ConfigureAwait(false);
                    }
                    else
                    {
                        await stderr.WriteLineAsync("swupgrade: error: " + error.Message).ConfigureAwait(false);
                    }
                }

                var path = CommandPath(parse.CommandResult);
                await stderr.WriteLineAsync(path.Length == 0
                    ? "Run 'swupgrade --help' for usage."
                    : $"Run 'swupgrade {path} --help' for usage.").ConfigureAwait(false);
                return ExitCodes.BadArguments;
            }

            var invocation = new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,

                // Ctrl+C is Program's: it cancels the token and every command ends with its own summary and exit 130,
                // rather than the parser ending the process after a grace period.
                ProcessTerminationTimeout = null,
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
            "swupgrade: registers the SwUpgradeFunc callback URL with the Huawei IoT platform (subscribe), lists and deletes "
            + "subscriptions (subscriptions), pushes a simulated fleet's upgrade notifications to a receiver (simulate), and compares "
            + "an upgrade task's sub-tasks on the platform with the status API, repairing what differs (reconcile).\n"
            + "Platform settings come from flags or the environment variables SWUPGRADE_PLATFORM_URL, SWUPGRADE_APP_ID, SWUPGRADE_APP_SECRET, "
            + "SWUPGRADE_CA_FILE, SWUPGRADE_CLIENT_CERT_FILE and SWUPGRADE_CLIENT_CERT_PASSWORD.\n"
            + "Exit codes: " + ExitCodes.Summary + ".");
        // The platform options belong to the commands that talk to the platform (subscribe, subscriptions), not to simulate.
        var global = new GlobalOptions();
        foreach (var factory in CommandFactories)
        {
            root.Subcommands.Add(factory(context, global));
        }

        return root;
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var r = result; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return string.Join(' ', names);
    }

    /// <summary>The arguments that follow a secret option's value, up to the next option: never echoed.</summary>
    private static List<string> HiddenTokens(string[] args)
    {
        var hidden = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is not (GlobalOptions.AppSecretFlag or GlobalOptions.ClientCertPasswordFlag)
                && !args[i].StartsWith(GlobalOptions.AppSecretFlag + "=", StringComparison.Ordinal)
                && !args[i].StartsWith(GlobalOptions.ClientCertPasswordFlag + "=", StringComparison.Ordinal))
            {
                continue;
            }

            var j = args[i].Contains('=', StringComparison.Ordinal) ? i + 1 : i + 2;
            for (; j < args.Length && !args[j].StartsWith('-'); j++)
            {
                hidden.Add(args[j]);
            }
        }

        return hidden;
    }

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
