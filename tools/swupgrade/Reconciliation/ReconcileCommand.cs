using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SwUpgrade.Cli.Commands;
using SwUpgrade.Cli.Simulation;
using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Reconciliation;

/// <summary>
/// <c>swupgrade reconcile</c>: compares an upgrade task's sub-tasks on the platform with the status API, and with
/// <c>--repair</c> asks the app to apply the platform's final status to each sub-task that differs.
/// </summary>
public static class ReconcileCommand
{
    public const string StatusUrlEnv = "SWUPGRADE_STATUS_URL";

    public static Command Create(CliContext context, GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        var operationId = new Option<string?>("--operation-id")
        {
            Description = "The upgrade task's operationId on the platform.",
            HelpName = "OP",
        };
        var statusUrl = new Option<string?>("--status-url")
        {
            Description = $"The function app's base URL, e.g. https://myapp.azurewebsites.net (env {StatusUrlEnv}); http only for localhost.",
            HelpName = "URL",
        };
        var functionKey = new Option<string?>(FunctionKeyFlag)
        {
            Description = $"Function key for the status API (env {SimulateCommand.FunctionKeyEnv}).",
            HelpName = "KEY",
        };
        var repair = new Option<bool>("--repair")
        {
            Description = "Apply the platform's final status (success or fail) to every sub-task that differs, through the app's queue.",
        };
        var command = new Command("reconcile",
            "Compare an upgrade task's sub-tasks on the platform with the status API: sub-tasks never heard of here, settled on the "
            + "platform but not here, settled differently; with --repair apply the platform's final status. Exit codes: 0 no "
            + $"differences (or all repaired), {ExitCodes.DifferencesFound} differences found (or some not repairable), "
            + $"{ExitCodes.StatusApiFailed} status API failed.")
        {
            operationId, statusUrl, functionKey, repair,
        };
        global.AddTo(command);

        command.SetAction((parse, ct) =>
        {
            var op = parse.GetValue(operationId);
            var url = parse.GetValue(statusUrl) ?? context.Env(StatusUrlEnv);
            var key = parse.GetValue(functionKey) ?? context.Env(SimulateCommand.FunctionKeyEnv);
            var json = parse.GetValue(global.Json);
            var appId = parse.GetValue(global.AppId) ?? context.Env(GlobalOptions.AppIdEnv);
            Uri? statusBase = null;
            return CommandRunner.RunAsync(
                context,
                global,
                parse,
                (client, token) => RunAsync(context, client, new ReconcileRequest(op!, statusBase!, key, appId!, parse.GetValue(repair), json), token),
                validate: () => statusBase = Validate(op, url),
                ct);
        });
        return command;
    }

    public const string FunctionKeyFlag = "--function-key";

    private static Uri Validate(string? operationId, string? statusUrl)
    {
        if (string.IsNullOrWhiteSpace(operationId))
        {
            throw new UsageException("Missing --operation-id: the upgrade task to reconcile.");
        }

        return StatusApiAddress.Parse(statusUrl, StatusUrlEnv);
    }

    private sealed record ReconcileRequest(string OperationId, Uri StatusBase, string? FunctionKey, string AppId, bool Repair, bool Json);

    private static async Task<int> RunAsync(CliContext context, HuaweiIotPlatformClient client, ReconcileRequest request, CancellationToken ct)
    {
        var task = await client.GetOperationAsync(request.OperationId, ct).ConfigureAwait(false);
        var platform = new List<SubOperation>();
        await foreach (var sub in client.ListAllSubOperationsAsync(request.OperationId, cancellationToken: ct).ConfigureAwait(false))
        {
            platform.Add(sub);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
        UpgradeTaskComparison comparison;
        int sent = 0;
        try
        {
            var phases = await new StatusVerifier(http, context.TimeProvider)
                .ReadPhasesAsync(request.StatusBase, request.FunctionKey, request.OperationId, ct).ConfigureAwait(false);
            comparison = UpgradeTaskComparison.Compare(request.OperationId, platform, phases);
            if (request.Repair)
            {
                sent = await RepairRequests.SendAsync(http, request.StatusBase, request.FunctionKey, request.OperationId, request.AppId,
                    task.Kind, [.. comparison.Repairable], ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HttpRequestException or StatusApiException)
        {
            await context.Stderr.WriteLineAsync($"swupgrade: error: {e.Message}").ConfigureAwait(false);
            if (request.Json)
            {
                await context.Stdout.WriteLineAsync(new JsonObject
                {
                    ["ok"] = false,
                    ["error"] = new JsonObject { ["kind"] = "status-api-failed", ["exitCode"] = ExitCodes.StatusApiFailed, ["message"] = e.Message },
                }.ToJsonString(CommandRunner.JsonOutput)).ConfigureAwait(false);
            }

            return ExitCodes.StatusApiFailed;
        }

        var notRepairable = comparison.Differences.Count - comparison.Repairable.Count();
        if (request.Json)
        {
            await context.Stdout.WriteLineAsync(ToJson(comparison, task, request.Repair, sent, notRepairable).ToJsonString(CommandRunner.JsonOutput)).ConfigureAwait(false);
        }
        else
        {
            await WriteTextAsync(context.Stdout, comparison, task, request.Repair, sent, notRepairable).ConfigureAwait(false);
        }

        if (comparison.Differences.Count == 0)
        {
            return ExitCodes.Ok;
        }

        return request.Repair && notRepairable == 0 ? ExitCodes.Ok : ExitCodes.DifferencesFound;
    }

    private static async Task WriteTextAsync(TextWriter output, UpgradeTaskComparison c, UpgradeOperation task, bool repair, int sent, int notRepairable)
    {
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Upgrade task {c.OperationId} ({task.Kind ?? "kind not given"}): {c.OnPlatform} sub-task(s) on the platform, {c.KnownHere} of them known here; {c.UnknownToPlatform} known here only.")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Agree: {c.SettledAlike} settled alike, {c.PendingAlike} not settled on either side, {c.SettledHereOnly} settled here but not yet on the platform.")).ConfigureAwait(false);
        if (c.Differences.Count == 0)
        {
            await output.WriteLineAsync("No differences.").ConfigureAwait(false);
            return;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Differ: {c.Differences.Count(d => d.Kind == SubTaskDifferenceKind.UnknownHere)} unknown here, "
            + $"{c.Differences.Count(d => d.Kind == SubTaskDifferenceKind.NotSettledHere)} settled on the platform but not here, "
            + $"{c.Differences.Count(d => d.Kind == SubTaskDifferenceKind.SettledDifferently)} settled differently.")).ConfigureAwait(false);
        CommandRunner.WriteTable(
            output,
            ["DIFFERENCE", "SUB-TASK", "DEVICE", "PLATFORM", "PLATFORM STOP", "HERE"],
            c.Differences.Select(d => (IReadOnlyList<string?>)[d.KindName, d.SubOperationId, d.DeviceId, d.PlatformStatus, Time(d.PlatformStopTime), d.PhaseHere]));
        if (repair)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Repair: {sent} sub-task(s) sent to the app for reconciliation; its processor applies them from the queue. "
                + $"{notRepairable} cannot be repaired (the platform has no final status for them).")).ConfigureAwait(false);
        }
        else
        {
            await output.WriteLineAsync("Run again with --repair to apply the platform's final status.").ConfigureAwait(false);
        }
    }

    private static JsonObject ToJson(UpgradeTaskComparison c, UpgradeOperation task, bool repair, int sent, int notRepairable) => new()
    {
        ["ok"] = true,
        ["operationId"] = c.OperationId,
        ["kind"] = task.Kind,
        ["onPlatform"] = c.OnPlatform,
        ["knownHere"] = c.KnownHere,
        ["knownHereOnly"] = c.UnknownToPlatform,
        ["agree"] = new JsonObject
        {
            ["settledAlike"] = c.SettledAlike,
            ["pendingAlike"] = c.PendingAlike,
            ["settledHereOnly"] = c.SettledHereOnly,
        },
        ["differences"] = new JsonArray([.. c.Differences.Select(d => (JsonNode)new JsonObject
        {
            ["kind"] = d.KindName,
            ["subOperationId"] = d.SubOperationId,
            ["deviceId"] = d.DeviceId,
            ["platformStatus"] = d.PlatformStatus,
            ["platformStopTime"] = Time(d.PlatformStopTime),
            ["phaseHere"] = d.PhaseHere,
            ["repairable"] = d.Repairable,
        })]),
        ["repair"] = repair ? new JsonObject { ["sent"] = sent, ["notRepairable"] = notRepairable } : null,
    };

    private static string? Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
