using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Reconciliation;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// <c>POST /api/upgrades/{operationId}/reconciliations</c>: queues the platform's final statuses of sub-tasks whose pushes
/// never arrived (what <c>swupgrade reconcile --repair</c> sends). Behind function keys; never the push receiver's route.
/// </summary>
public sealed class ReconciliationFunction(ReconciliationIntake intake)
{
    public const string Route = "api/upgrades/{operationId}/reconciliations";

    /// <summary>1000 sub-tasks of the longest ids fit.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    [Function("PostReconciliations")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken)
    {
        if (!JsonContentType.IsJson(request.ContentType, out var mediaProblem))
        {
            return HttpAnswer.Problem(ProblemType.UnsupportedMediaType, mediaProblem);
        }

        ReconciliationRequest? parsed;
        var errors = new List<FieldError>();
        var id = RouteIds.Check(operationId, "operationId", errors);
        using (var body = await BoundedBody.ReadAsync(request.Body, request.ContentLength, MaxBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            if (body.TooLarge)
            {
                return HttpAnswer.Problem(ProblemType.PayloadTooLarge,
                    $"The body exceeds the limit of {MaxBodyBytes} bytes.");
            }

            parsed = ReconciliationIntake.Parse(body.Span, errors);
        }

        if (parsed is null || id is null)
        {
            return HttpAnswer.Problem(ProblemType.InvalidReconciliation,
                "The request names the field of each problem; nothing was queued.", errors);
        }

        var accepted = await intake.EnqueueAsync(id, parsed, "api", cancellationToken).ConfigureAwait(false);
        return HttpAnswer.Json(202, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new ReconciliationAccepted(id, accepted), ReconciliationJsonContext.Default.ReconciliationAccepted));
    }
}

/// <summary>The route's answer: how many sub-tasks were queued.</summary>
public sealed record ReconciliationAccepted(string OperationId, int Accepted);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ReconciliationAccepted))]
internal sealed partial class ReconciliationJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
