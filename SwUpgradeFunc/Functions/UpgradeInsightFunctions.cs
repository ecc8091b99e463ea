using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
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
        TaskRouteAnswer.AnswerAsync(operationId, id => store.GetFailureReasonsAsync(id, cancellationToken),
            (_, reasons) => HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(reasons, BreakdownsJsonContext.Default.FailureReasons)));

    [Function("GetUpgradeSourceVersions")]
    public Task<IActionResult> GetUpgradeSourceVersions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/versions")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        TaskRouteAnswer.AnswerAsync(operationId, id => store.GetSourceVersionsAsync(id, cancellationToken),
            (_, versions) => HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(versions, BreakdownsJsonContext.Default.SourceVersions)));
}
