using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Reconciliation;

namespace SwUpgradeFunc.Functions;

/// <summary>The reconciliation timer: fires every minute, reconciles on the minutes that are multiples of Reconcile__IntervalMinutes.</summary>
public sealed class ReconciliationTimerFunction(TaskReconciler reconciler, TimeProvider time)
{
    /// <summary>Every minute, at second 0 (six-field CRON); the interval is checked in code so that it stays a plain setting.</summary>
    public const string Schedule = "0 * * * * *";

    // Named before the type was; the host, functions.metadata and the operators' log queries know the function by this name.
    [Function("Reconcile")]
    public async Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (reconciler.IsDue(time.GetUtcNow()))
        {
            await reconciler.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
