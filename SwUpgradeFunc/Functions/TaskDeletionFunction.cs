using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
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
        return await TaskRouteAnswer.AnswerAsync(operationId,
            id => store.DeleteTaskAsync(id, MaxRowsPerCall, cancellationToken),
            (_, result) => result.Done ? HttpAnswer.Empty(204) : Progress(request, result)).ConfigureAwait(false);
    }

    /// <summary>Rows are left: the client repeats the call at the same address.</summary>
    private static HttpAnswer Progress(HttpRequest request, TaskDeletionResult result)
    {
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
