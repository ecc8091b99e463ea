using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>The retention timer: deletes tasks without activity for Upgrades__RetentionDays (docs/store.md, "Retention").</summary>
public sealed class RetentionFunction(TaskRetention retention)
{
    [Function("Retention")]
    public Task Run([TimerTrigger(RetentionScheduleOptions.ScheduleBinding)] TimerInfo timer, CancellationToken cancellationToken) =>
        retention.RunAsync(cancellationToken);
}
