using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Reconciliation;

namespace SwUpgradeFunc.Functions;

/// <summary>The reconciliation timer: runs on the schedule in <c>ReconcileSchedule</c> (default every 15 minutes).</summary>
public sealed class ReconciliationTimerFunction(TaskReconciler reconciler)
{
    /// <summary>The host resolves the schedule from the app setting, so changing it needs no new build.</summary>
    public const string Schedule = "%" + ReconciliationOptions.ScheduleSetting + "%";

    // Named before the type was; the host, functions.metadata and the operators' log queries know the function by this name.
    [Function("Reconcile")]
    public Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        reconciler.RunAsync(LastScheduledRun(timer), cancellationToken);

    /// <summary>
    /// The schedule's previous occurrence as the host's schedule monitor recorded it, or null when there is none yet (first
    /// run: the host gives the default time). A time without a zone is the host's UTC.
    /// </summary>
    public static DateTimeOffset? LastScheduledRun(TimerInfo? timer)
    {
        var last = timer?.ScheduleStatus?.Last ?? default;
        if (last == default)
        {
            return null;
        }

        return last.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(last, TimeSpan.Zero) : new DateTimeOffset(last);
    }
}
