using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>What one reconciliation run did.</summary>
public sealed record ReconciliationRunResult(bool Ran, int TasksReconciled, int TasksLeft, int PlatformCalls, int Repaired)
{
    public static ReconciliationRunResult Off { get; } = new(false, 0, 0, 0, 0);
}

/// <summary>
/// The timer's work: for the tasks with stalled sub-tasks, read the platform's settled sub-tasks and queue the platform's
/// final status for each one that differs here. Bounded per run in tasks and platform calls; tasks reconciled longest ago
/// go first, so every candidate gets its turn.
/// </summary>
public sealed partial class TaskReconciler(
    PlatformClientProvider platform,
    ReconciliationStateReader state,
    ReconciliationIntake intake,
    IOptions<ReconciliationOptions> options,
    IOptions<Upgrades.UpgradesOptions> upgrades,
    SwUpgradeMetrics metrics,
    TimeProvider time,
    ILogger<TaskReconciler> logger)
{
    public const string Source = "timer";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastReconciled = new(StringComparer.Ordinal);

    /// <summary>Whether a timer tick at <paramref name="at"/> is one of the runs: the minutes that are multiples of the interval.</summary>
    public bool IsDue(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60 % options.Value.IntervalMinutes == 0;

    public async Task<ReconciliationRunResult> RunAsync(CancellationToken cancellationToken)
    {
        var client = platform.Client;
        if (client is null)
        {
            return ReconciliationRunResult.Off;
        }

        var settings = options.Value;
        var now = time.GetUtcNow();
        var candidates = await state.FindTasksWithStalledSubTasksAsync(TimeSpan.FromMinutes(upgrades.Value.StalledAfterMinutes), cancellationToken)
            .ConfigureAwait(false);
        var ordered = candidates
            .OrderBy(op => _lastReconciled.GetValueOrDefault(op, DateTimeOffset.MinValue))
            .ThenBy(op => op, StringComparer.Ordinal)
            .ToList();

        var budget = settings.MaxPlatformCallsPerRun - 1; // a login may be due
        int calls = 0, done = 0, repaired = 0;
        foreach (var operationId in ordered)
        {
            if (done >= settings.MaxTasksPerRun || budget - calls < 2)
            {
                break;
            }

            try
            {
                var (used, count) = await ReconcileTaskAsync(client, operationId, budget - calls, cancellationToken).ConfigureAwait(false);
                calls += used;
                repaired += count;
            }
            catch (PlatformException ex)
            {
                // One task's failure (unknown on the platform, throttled after back-off, unreachable) does not stop the others.
                calls++;
                LogTaskFailed(operationId, PlatformAdvice.Describe(ex));
            }

            _lastReconciled[operationId] = now;
            done++;
        }

        var result = new ReconciliationRunResult(true, done, ordered.Count - done, calls, repaired);
        LogRun(result.TasksReconciled, result.TasksLeft, result.Repaired, result.PlatformCalls);
        return result;
    }

    private async Task<(int Calls, int Repaired)> ReconcileTaskAsync(HuaweiIotPlatformClient client, string operationId, int budget,
        CancellationToken cancellationToken)
    {
        var task = await client.GetOperationAsync(operationId, cancellationToken).ConfigureAwait(false);
        var calls = 1;
        var settled = new List<SubOperation>();
        var complete = true;
        foreach (var status in new[] { SubOperationStatuses.Success, SubOperationStatuses.Fail })
        {
            for (var pageNo = 0; ; pageNo++)
            {
                if (calls >= budget)
                {
                    complete = false;
                    break;
                }

                var page = await client.ListSubOperationsAsync(operationId, status, pageNo, HuaweiIotPlatformClient.MaxSubOperationPageSize,
                    cancellationToken).ConfigureAwait(false);
                calls++;
                settled.AddRange(page.Data);
                if (page.Data.Count < HuaweiIotPlatformClient.MaxSubOperationPageSize || (long)(pageNo + 1) * page.PageSize >= page.TotalCount)
                {
                    break;
                }
            }
        }

        var phases = await state.ReadPhasesAsync(operationId, cancellationToken).ConfigureAwait(false);
        var comparison = UpgradeTaskComparison.Compare(operationId, settled, phases);
        var repairs = comparison.Repairable.ToList();
        if (repairs.Count > 0)
        {
            await intake.EnqueueAsync(operationId, new ReconciliationRequest(platform.AppId, task.Kind,
                [.. repairs.Select(d => new PlatformFinalStatus(d.SubOperationId, d.DeviceId!, d.PlatformStatus, d.PlatformStopTime))]),
                Source, cancellationToken).ConfigureAwait(false);
            foreach (var group in repairs.GroupBy(d => d.KindName))
            {
                metrics.Reconciled(group.Key, group.Count());
            }
        }

        int unknownHere = 0, notSettledHere = 0, settledDifferently = 0;
        foreach (var d in repairs)
        {
            _ = d.Kind switch
            {
                SubTaskDifferenceKind.UnknownHere => unknownHere++,
                SubTaskDifferenceKind.NotSettledHere => notSettledHere++,
                _ => settledDifferently++,
            };
        }

        LogTask(operationId, repairs.Count, unknownHere, notSettledHere, settledDifferently, comparison.SettledAlike, calls, complete);
        return (calls, repairs.Count);
    }

    [LoggerMessage(EventId = 42, Level = LogLevel.Information,
        Message = "Reconciled upgrade task {OperationId}: {Repaired} sub-task(s) queued for repair ({UnknownHere} unknown here, {NotSettledHere} settled on the platform but not here, {SettledDifferently} settled differently), {SettledAlike} settled alike; {PlatformCalls} platform calls, all settled pages read: {Complete}")]
    private partial void LogTask(string operationId, int repaired, int unknownHere, int notSettledHere, int settledDifferently,
        int settledAlike, int platformCalls, bool complete);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Reconciling upgrade task {OperationId} failed: {Reason}")]
    private partial void LogTaskFailed(string operationId, string reason);

    [LoggerMessage(EventId = 44, Level = LogLevel.Information,
        Message = "Reconciliation run: {Tasks} task(s) reconciled, {TasksLeft} left for later runs, {Repaired} sub-task(s) queued for repair, {PlatformCalls} platform calls")]
    private partial void LogRun(int tasks, int tasksLeft, int repaired, int platformCalls);
}
