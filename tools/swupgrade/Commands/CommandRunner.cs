using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Commands;

/// <summary>Runs a command body against the platform and turns every failure into a clear message and exit code.</summary>
public static class CommandRunner
{
    internal static readonly JsonSerializerOptions JsonOutput = new() { WriteIndented = true };

    /// <summary>
    /// Resolves the settings, creates the client, runs <paramref name="body"/>. <paramref name="validate"/> runs first,
    /// before any setting is read or anything is sent.
    /// </summary>
    public static async Task<int> RunAsync(
        CliContext context,
        GlobalOptions global,
        ParseResult parse,
        Func<HuaweiIotPlatformClient, CancellationToken, Task<int>> body,
        Action? validate,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        var json = parse.GetValue(global.Json);
        try
        {
            validate?.Invoke();
            var options = global.Resolve(parse, context);
            var diagnostics = options.Diagnostics;
            options.Diagnostics = note =>
            {
                context.Stderr.WriteLine("swupgrade: note: " + note);
                diagnostics?.Invoke(note);
            };
            using var client = new HuaweiIotPlatformClient(options, context.TimeProvider);
            return await body(client, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            return await FailAsync(context, json, ExitCodes.BadArguments, "bad-arguments", e, null).ConfigureAwait(false);
        }
        catch (InvalidCallbackUrlException e)
        {
            return await FailAsync(context, json, ExitCodes.BadArguments, "bad-arguments", e, null).ConfigureAwait(false);
        }
        catch (PlatformConfigurationException e)
        {
            return await FailAsync(context, json, ExitCodes.BadArguments, "bad-arguments", e, null).ConfigureAwait(false);
        }
        catch (PlatformAuthenticationException e)
        {
            return await FailAsync(context, json, ExitCodes.CredentialsRejected, "credentials-rejected", e, e).ConfigureAwait(false);
        }
        catch (PlatformTlsException e)
        {
            return await FailAsync(context, json, ExitCodes.TlsFailure, "tls-failure", e, null).ConfigureAwait(false);
        }
        catch (PlatformApiException e)
        {
            return await FailAsync(context, json, ExitCodes.PlatformError, "platform-error", e, e).ConfigureAwait(false);
        }
        catch (PlatformUnreachableException e)
        {
            return await FailAsync(context, json, ExitCodes.Unreachable, "unreachable", e, null).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.Stderr.WriteLineAsync("swupgrade: cancelled.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
#pragma warning disable CA1031 // the last resort: a message and exit code 1 instead of a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            return await FailAsync(context, json, ExitCodes.InternalError, "internal-error", new InvalidOperationException($"Unexpected {e.GetType().Name}: {e.Message}", e), null).ConfigureAwait(false);
        }
    }

    private static async Task<int> FailAsync(CliContext context, bool json, int exitCode, string kind, Exception error, PlatformApiException? api)
    {
        var message = error is PlatformException platform ? CliAdvice.Describe(platform) : error.Message;
        await context.Stderr.WriteLineAsync("swupgrade: error: " + message).ConfigureAwait(false);
        if (json)
        {
            var node = new JsonObject
            {
                ["ok"] = false,
                ["error"] = new JsonObject
                {
                    ["kind"] = kind,
                    ["exitCode"] = exitCode,
                    ["httpStatus"] = api?.HttpStatus,
                    ["platformCode"] = api?.ErrorCode,
                    ["message"] = message,
                },
            };
            await context.Stdout.WriteLineAsync(node.ToJsonString(JsonOutput)).ConfigureAwait(false);
        }

        return exitCode;
    }

    /// <summary>Writes rows as a left-aligned table with a header line.</summary>
    public static void WriteTable(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(headers);
        var all = rows.Select(r => r.Select(c => c ?? "-").ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        output.WriteLine(Line(headers.ToArray()));
        foreach (var row in all)
        {
            output.WriteLine(Line(row));
        }

        string Line(string[] cells) =>
            string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
    }
}
