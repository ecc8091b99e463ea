using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// <c>DELETE /api/upgrades/{operationId}</c>, behind function keys: one bounded step of the task's deletion per call
/// (docs/api.md). 202 with the rows removed while some are left, the client repeating at <c>Location</c> after
/// <c>Retry-After</c>; 204 once nothing of the task is left.
/// </summary>
public sealed class TaskDeletionFunction(UpgradeStateStore store)
{
    /// <summary>Rows one call removes at most: a few seconds of work, whatever the task's size.</summary>
    public const int MaxRowsPerCall = 4_000;

    [Function("DeleteUpgrade")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "api/upgrades/{operationId}")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<FieldError>();
        if (RouteIds.Check(operationId, "operationId", errors) is not { } id)
        {
            return HttpAnswer.Problem(ProblemType.InvalidQuery, string.Join("; ", errors.Select(e => $"{e.Field} {e.Problem}")), errors);
        }

        var result = await store.DeleteTaskAsync(id, MaxRowsPerCall, cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return HttpAnswer.Problem(ProblemType.UnknownOperation, "No push has been recorded for this operationId.");
        }

        if (result.Done)
        {
            return HttpAnswer.Empty(204);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new TaskDeletionProgress(result.OperationId, result.DeletedRows, false),
            TaskDeletionJsonContext.Default.TaskDeletionProgress);
        return HttpAnswer.Content(202, body, "application/json; charset=utf-8", new Dictionary<string, string>
        {
            ["Location"] = (request.PathBase + request.Path).ToUriComponent(),
            ["Retry-After"] = "1",
        });
    }
}

/// <summary>The 202 answer of a deletion step: done is false, the client repeats the call.</summary>
public sealed record TaskDeletionProgress(string OperationId, int DeletedRows, bool Done);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TaskDeletionProgress))]
internal sealed partial class TaskDeletionJsonContext : JsonSerializerContext;
