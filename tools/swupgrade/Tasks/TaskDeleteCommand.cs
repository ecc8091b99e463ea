using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SwUpgrade.Cli.Commands;
using SwUpgrade.Cli.Reconciliation;
using SwUpgrade.Cli.Simulation;

namespace SwUpgrade.Cli.Tasks;

/// <summary><c>swupgrade tasks delete</c>: deletes an upgrade task through the status API, repeating the bounded call until it is done.</summary>
public static class TaskDeleteCommand
{
    /// <summary>Calls at most; a task of 100,000 devices takes about 75 (4,000 rows each) plus the settle time.</summary>
    public const int MaxCalls = 10_000;

    public static Command Create(CliContext context, GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        var (operationId, statusUrl, functionKey) = TasksCommand.StatusApiOptions("The upgrade task to delete.");
        var delete = new Command("delete",
            "Delete an upgrade task and everything recorded under it (DELETE /api/upgrades/{operationId}), calling again until "
            + $"it is done and printing the rows removed. Exit codes: 0 deleted (or already deleted), {ExitCodes.BadArguments} bad "
            + $"arguments, {ExitCodes.StatusApiFailed} status API failed or the task is unknown.")
        {
            operationId, statusUrl, functionKey,
        };
        delete.SetAction(async (parse, ct) =>
        {
            var op = parse.GetValue(operationId);
            var url = parse.GetValue(statusUrl) ?? context.Env(ReconcileCommand.StatusUrlEnv);
            var key = parse.GetValue(functionKey) ?? context.Env(SimulateCommand.FunctionKeyEnv);
            Uri statusBase;
            try
            {
                statusBase = Validate(op, url);
            }
            catch (UsageException e)
            {
                await context.Stderr.WriteLineAsync("swupgrade: error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.BadArguments;
            }

            try
            {
                return await DeleteAsync(context, statusBase, key, op!, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await context.Stderr.WriteLineAsync("swupgrade: cancelled; run the command again to finish the deletion.").ConfigureAwait(false);
                return ExitCodes.Cancelled;
            }
            catch (HttpRequestException e)
            {
                await context.Stderr.WriteLineAsync($"swupgrade: error: the status API at {statusBase} could not be reached: {e.Message}")
                    .ConfigureAwait(false);
                return ExitCodes.StatusApiFailed;
            }
        });
        return delete;
    }

    private static Uri Validate(string? operationId, string? statusUrl)
    {
        if (string.IsNullOrWhiteSpace(operationId))
        {
            throw new UsageException("Missing --operation-id: the upgrade task to delete.");
        }

        if (operationId.Length > 256)
        {
            throw new UsageException("--operation-id is longer than 256 characters: no push can carry such an id.");
        }

        return StatusApiAddress.Parse(statusUrl, ReconcileCommand.StatusUrlEnv);
    }

    private static async Task<int> DeleteAsync(CliContext context, Uri statusBase, string? functionKey, string operationId, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
        // '/' is sent as %2F, as the page does; the route takes it back.
        var target = new Uri(statusBase, "api/upgrades/" + Uri.EscapeDataString(operationId));
        var total = 0;
        for (var call = 1; call <= MaxCalls; call++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, target);
            if (!string.IsNullOrEmpty(functionKey))
            {
                request.Headers.Add("x-functions-key", functionKey);
            }

            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            switch (response.StatusCode)
            {
                case HttpStatusCode.NoContent:
                    await context.Stdout.WriteLineAsync($"Task {operationId} deleted ({total} rows removed by this run).").ConfigureAwait(false);
                    return ExitCodes.Ok;
                case HttpStatusCode.Accepted:
                    var deleted = DeletedRows(body);
                    total += deleted;
                    await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Deleting {operationId}: {deleted} rows removed ({total} so far)...")).ConfigureAwait(false);
                    var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    await Task.Delay(wait, context.TimeProvider, ct).ConfigureAwait(false);
                    break;
                case HttpStatusCode.NotFound:
                    await context.Stderr.WriteLineAsync($"swupgrade: error: no task with --operation-id '{operationId}' is recorded by the app (404).")
                        .ConfigureAwait(false);
                    return ExitCodes.StatusApiFailed;
                case HttpStatusCode.BadRequest:
                    await context.Stderr.WriteLineAsync($"swupgrade: error: the app refused --operation-id '{operationId}'{Detail(body)}.")
                        .ConfigureAwait(false);
                    return ExitCodes.BadArguments;
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    await context.Stderr.WriteLineAsync(
                        $"swupgrade: error: the status API refused the function key ({(int)response.StatusCode}); check {ReconcileCommand.FunctionKeyFlag} or {SimulateCommand.FunctionKeyEnv}.")
                        .ConfigureAwait(false);
                    return ExitCodes.StatusApiFailed;
                default:
                    await context.Stderr.WriteLineAsync(
                        $"swupgrade: error: the status API answered {(int)response.StatusCode}{Detail(body)}; {total} rows were removed, run the command again to go on.")
                        .ConfigureAwait(false);
                    return ExitCodes.StatusApiFailed;
            }
        }

        await context.Stderr.WriteLineAsync($"swupgrade: error: the task is still not deleted after {MaxCalls} calls; run the command again to go on.")
            .ConfigureAwait(false);
        return ExitCodes.StatusApiFailed;
    }

    private static int DeletedRows(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("deletedRows", out var rows) && rows.TryGetInt32(out var n) ? n : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private static string Detail(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            return problem.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String ? ": " + detail.GetString() : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
