using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
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
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return HttpAnswer.Problem(415, "unsupported-media-type", "Unsupported media type", "Send the body as application/json.");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return HttpAnswer.Problem(413, "body-too-large", "Body too large", $"The body must be at most {MaxBodyBytes} bytes.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return HttpAnswer.Problem(413, "body-too-large", "Body too large", $"The body must be at most {MaxBodyBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        var errors = new List<FieldError>();
        var parsed = ReconciliationIntake.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), errors);
        if (parsed is null)
        {
            return HttpAnswer.Problem(400, "invalid-reconciliation", "Invalid reconciliation request",
                "The request names the field of each problem; nothing was queued.", errors);
        }

        var accepted = await intake.EnqueueAsync(operationId, parsed, "api", cancellationToken).ConfigureAwait(false);
        return HttpAnswer.Json(202, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new ReconciliationAccepted(operationId, accepted), ReconciliationJsonContext.Default.ReconciliationAccepted));
    }
}

/// <summary>The reconciliation timer: fires every minute, reconciles on the minutes that are multiples of Reconcile__IntervalMinutes.</summary>
public sealed class ReconcileTimerFunction(TaskReconciler reconciler, TimeProvider time)
{
    /// <summary>Every minute, at second 0 (six-field CRON); the interval is checked in code so that it stays a plain setting.</summary>
    public const string Schedule = "0 * * * * *";

    [Function("Reconcile")]
    public async Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (reconciler.IsDue(time.GetUtcNow()))
        {
            await reconciler.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>The route's answer: how many sub-tasks were queued.</summary>
public sealed record ReconciliationAccepted(string OperationId, int Accepted);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ReconciliationAccepted))]
internal sealed partial class ReconciliationJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
