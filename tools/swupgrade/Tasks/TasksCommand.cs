using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwUpgrade.Cli.Commands;
using SwUpgrade.Cli.Reconciliation;
using SwUpgrade.Cli.Simulation;

namespace SwUpgrade.Cli.Tasks;

/// <summary><c>swupgrade tasks ...</c>: reads and deletes upgrade tasks through the app's status API (no platform credentials needed).</summary>
public static class TasksCommand
{
    /// <summary>The longest wait for one answer of the status API.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    public static Command Create(CliContext context, GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        var command = new Command("tasks", "Read and delete the upgrade tasks recorded by the function app, through its status API.");
        command.Subcommands.Add(CreateFailures(context, global));
        command.Subcommands.Add(TaskDeleteCommand.Create(context, global));
        return command;
    }

    /// <summary>The options every <c>tasks</c> subcommand takes: which task, and where and how to reach the status API.</summary>
    internal static (Option<string?> OperationId, Option<string?> StatusUrl, Option<string?> FunctionKey) StatusApiOptions(string operationIdHelp) =>
    (
        new Option<string?>("--operation-id") { Description = operationIdHelp, HelpName = "OP" },
        new Option<string?>("--status-url")
        {
            Description = $"The function app's base URL, e.g. https://myapp.azurewebsites.net (env {ReconcileCommand.StatusUrlEnv}); http only for localhost.",
            HelpName = "URL",
        },
        new Option<string?>(ReconcileCommand.FunctionKeyFlag)
        {
            Description = $"Function key for the status API (env {SimulateCommand.FunctionKeyEnv}).",
            HelpName = "KEY",
        }
    );

    private static Command CreateFailures(CliContext context, GlobalOptions global)
    {
        var (operationId, statusUrl, functionKey) = StatusApiOptions("The upgrade task's operationId.");
        var command = new Command("failures",
            "List why an upgrade task's sub-tasks failed: the failed sub-tasks grouped by error code, most frequent first, with "
            + $"counts, share of the failed, the most common description and sample devices. Exit codes: 0 listed, "
            + $"{ExitCodes.BadArguments} bad arguments, {ExitCodes.StatusApiFailed} status API failed or task unknown.")
        {
            operationId, statusUrl, functionKey, global.Json,
        };
        command.SetAction((parse, ct) => RunFailuresAsync(context, parse.GetValue(operationId),
            parse.GetValue(statusUrl) ?? context.Env(ReconcileCommand.StatusUrlEnv),
            parse.GetValue(functionKey) ?? context.Env(SimulateCommand.FunctionKeyEnv), parse.GetValue(global.Json), ct));
        return command;
    }

    private static async Task<int> RunFailuresAsync(CliContext context, string? operationId, string? statusUrl, string? functionKey, bool json,
        CancellationToken cancellationToken)
    {
        try
        {
            if (string.IsNullOrWhiteSpace(operationId))
            {
                throw new UsageException("Missing --operation-id: the upgrade task whose failures to list.");
            }

            var statusBase = StatusApiAddress.Parse(statusUrl, ReconcileCommand.StatusUrlEnv);
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var answer = await GetAsync(http, statusBase, functionKey, $"api/upgrades/{Uri.EscapeDataString(operationId)}/failures", operationId,
                cancellationToken).ConfigureAwait(false);
            if (json)
            {
                var output = new JsonObject { ["ok"] = true };
                foreach (var (name, value) in answer)
                {
                    output[name] = value?.DeepClone();
                }

                await context.Stdout.WriteLineAsync(output.ToJsonString(CommandRunner.JsonOutput)).ConfigureAwait(false);
            }
            else
            {
                await WriteFailuresAsync(context.Stdout, answer).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        }
        catch (UsageException e)
        {
            return await FailAsync(context, json, ExitCodes.BadArguments, "bad-arguments", e.Message).ConfigureAwait(false);
        }
        catch (StatusApiException e)
        {
            return await FailAsync(context, json, ExitCodes.StatusApiFailed, "status-api-failed", e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.Stderr.WriteLineAsync("swupgrade: cancelled.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
    }

    private static async Task WriteFailuresAsync(TextWriter output, JsonObject answer)
    {
        var failed = answer["failed"]?.GetValue<int>() ?? 0;
        var reasons = answer["reasons"]?.AsArray() ?? [];
        var other = answer["other"] as JsonObject;
        var codes = reasons.Count + (other?["errorCodes"]?.GetValue<int>() ?? 0);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Upgrade task {answer["operationId"]}: {failed} failed sub-task(s), {codes} error code(s).")).ConfigureAwait(false);
        if (failed == 0)
        {
            return;
        }

        CommandRunner.WriteTable(
            output,
            ["ERROR CODE", "FAILED", "SHARE", "DESCRIPTION", "SAMPLE DEVICES"],
            reasons.Select(r => (IReadOnlyList<string?>)
            [
                r!["errorCode"]?.GetValue<string>() ?? "(none)",
                r["count"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture),
                Percent(r["share"]!.GetValue<double>()),
                r["resultDesc"]?.GetValue<string>(),
                string.Join(", ", r["sampleDeviceIds"]!.AsArray().Select(d => d!.GetValue<string>())),
            ]));
        if (other is not null)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Other: {other["errorCodes"]} more error code(s) with {other["count"]} failed sub-task(s) ({Percent(other["share"]!.GetValue<double>())}).")).ConfigureAwait(false);
        }
    }

    private static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>One JSON answer of the status API; its 404 for an unknown task, and every other failure, as a message naming the cause.</summary>
    private static Task<JsonObject> GetAsync(HttpClient http, Uri statusBase, string? functionKey, string route, string operationId,
        CancellationToken cancellationToken) =>
        StatusApiCall.GetAsync(http, new Uri(statusBase, route), functionKey, RequestTimeout, "", async (response, where, ct) =>
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new StatusApiException(body.Contains(StatusVerifier.UnknownOperationProblemType, StringComparison.Ordinal)
                    ? $"The status API has no upgrade task '{operationId}': no push was recorded for it."
                    : $"The status API answered 404 for {where}: is --status-url the function app's base URL (e.g. https://myapp.azurewebsites.net, without /api)?");
            }

            return JsonNode.Parse(body) as JsonObject
                   ?? throw new StatusApiException($"The status API's answer to {where} is not a JSON object: check --status-url.");
        }, cancellationToken);

    private static async Task<int> FailAsync(CliContext context, bool json, int exitCode, string kind, string message)
    {
        await context.Stderr.WriteLineAsync("swupgrade: error: " + message).ConfigureAwait(false);
        if (json)
        {
            await context.Stdout.WriteLineAsync(new JsonObject
            {
                ["ok"] = false,
                ["error"] = new JsonObject { ["kind"] = kind, ["exitCode"] = exitCode, ["message"] = message },
            }.ToJsonString(CommandRunner.JsonOutput)).ConfigureAwait(false);
        }

        return exitCode;
    }
}
