using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>Why a task's sub-tasks failed and how each source version fared, behind function keys (docs/api.md).</summary>
public sealed class UpgradeInsightFunctions(UpgradeStateStore store)
{
    [Function("GetUpgradeFailureReasons")]
    public Task<IActionResult> GetUpgradeFailureReasons(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/failures")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        AnswerAsync(operationId, id => store.GetFailureReasonsAsync(id, cancellationToken),
            reasons => JsonSerializer.SerializeToUtf8Bytes(reasons, BreakdownsJsonContext.Default.FailureReasons));

    [Function("GetUpgradeSourceVersions")]
    public Task<IActionResult> GetUpgradeSourceVersions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/versions")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        AnswerAsync(operationId, id => store.GetSourceVersionsAsync(id, cancellationToken),
            versions => JsonSerializer.SerializeToUtf8Bytes(versions, BreakdownsJsonContext.Default.SourceVersions));

    /// <summary>A bad route id is a 400 before anything is read; nothing recorded for the task is a 404.</summary>
    private static async Task<IActionResult> AnswerAsync<T>(string routeOperationId, Func<string, Task<T?>> read, Func<T, byte[]> serialize)
        where T : class
    {
        var errors = new List<FieldError>();
        if (RouteIds.Check(routeOperationId, "operationId", errors) is not { } operationId)
        {
            return HttpAnswer.Problem(ProblemType.InvalidQuery, string.Join("; ", errors.Select(e => $"{e.Field} {e.Problem}")), errors);
        }

        return await read(operationId).ConfigureAwait(false) is { } found
            ? HttpAnswer.Json(200, serialize(found))
            : HttpAnswer.Problem(ProblemType.UnknownOperation, "No push has been recorded for this operationId.");
    }
}
