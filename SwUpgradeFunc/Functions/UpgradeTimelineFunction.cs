using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
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
        return await TaskRouteAnswer.AnswerAsync(operationId, errors => ParseInterval(request.Query["interval"].ToString(), errors),
            (id, interval) => store.GetTimelineAsync(id, interval, cancellationToken),
            (_, _, timeline) => HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(timeline, TimelineJsonContext.Default.TaskTimeline))).ConfigureAwait(false);
    }

    /// <summary>Hours when left out; a bad one adds its problem (the hour returned then is never read).</summary>
    private static TimelineInterval ParseInterval(string text, List<FieldError> errors)
    {
        if (text.Length == 0)
        {
            return TimelineInterval.Hour;
        }

        if (TimelineInterval.TryParse(text, out var interval))
        {
            return interval;
        }

        errors.Add(new FieldError("interval", $"must be one of {string.Join(", ", TimelineInterval.All.Select(i => i.Name))}"));
        return TimelineInterval.Hour;
    }
}
