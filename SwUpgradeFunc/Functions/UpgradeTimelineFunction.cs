using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>A task's progress over time with its projected end (docs/api.md), behind function keys like the status API.</summary>
public sealed class UpgradeTimelineFunction(UpgradeStateStore store)
{
    [Function("GetUpgradeTimeline")]
    public async Task<IActionResult> GetUpgradeTimeline(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/timeline")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<FieldError>();
        var id = RouteIds.Check(operationId, "operationId", errors);
        var text = request.Query["interval"].ToString();
        var interval = TimelineInterval.Hour;
        if (text.Length > 0 && !TimelineInterval.TryParse(text, out interval))
        {
            errors.Add(new FieldError("interval", $"must be one of {string.Join(", ", TimelineInterval.All.Select(i => i.Name))}"));
        }

        if (errors.Count > 0 || id is null || interval is null)
        {
            return HttpAnswer.Problem(ProblemType.InvalidQuery, string.Join("; ", errors.Select(e => $"{e.Field} {e.Problem}")), errors);
        }

        var timeline = await store.GetTimelineAsync(id, interval, cancellationToken).ConfigureAwait(false);
        return timeline is null
            ? HttpAnswer.Problem(ProblemType.UnknownOperation, "No push has been recorded for this operationId.")
            : HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(timeline, TimelineJsonContext.Default.TaskTimeline));
    }
}
