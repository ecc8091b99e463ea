using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>
/// What one reconciliation run did. <see cref="TasksReconciled"/> counts the tasks the run took, including the
/// <see cref="TasksFailed"/> whose reconciliation failed (platform or storage error); those are taken again on a later run.
/// </summary>
public sealed record ReconciliationRunResult(bool Ran, int TasksReconciled, int TasksLeft, int PlatformCalls, int Repaired, int TasksFailed)
{
    public static ReconciliationRunResult Off { get; } = new(false, 0, 0, 0, 0, 0);
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
        int calls = 0, done = 0, repaired = 0, failed = 0;
        foreach (var operationId in ordered)
        {
            if (done >= settings.MaxTasksPerRun || budget - calls < 2)
            {
                break;
            }

            try
            {
                var settled = await ReadSettledAsync(client, operationId, budget - calls, cancellationToken).ConfigureAwait(false);
                calls += settled.Calls;
                repaired += await RepairAsync(operationId, settled, cancellationToken).ConfigureAwait(false);
            }
            catch (PlatformException ex)
            {
                // One task's failure (unknown on the platform, throttled after back-off, unreachable) does not stop the others.
                calls++;
                failed++;
                LogTaskFailed(operationId, PlatformAdvice.Describe(ex));
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                // Nor does a storage error (throttled, unavailable, timed out): the next task may live in a healthy
                // partition, and this one is taken again on a later run. Only the host's cancellation stops the run.
                failed++;
                LogTaskStorageFailed(operationId, ex);
            }

            _lastReconciled[operationId] = now;
            done++;
        }

        var result = new ReconciliationRunResult(true, done, ordered.Count - done, calls, repaired, failed);
        LogRun(result.TasksReconciled, result.TasksFailed, result.TasksLeft, result.Repaired, result.PlatformCalls);
        return result;
    }

    /// <summary>What the platform says of one task; read before the state so that the calls count even if storage then fails.</summary>
    private sealed record SettledOnPlatform(string? Kind, List<SubOperation> SubOperations, int Calls, bool Complete);

    private static async Task<SettledOnPlatform> ReadSettledAsync(HuaweiIotPlatformClient client, string operationId, int budget,
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

        return new SettledOnPlatform(task.Kind, settled, calls, complete);
    }

    private async Task<int> RepairAsync(string operationId, SettledOnPlatform platformSide, CancellationToken cancellationToken)
    {
        var phases = await state.ReadPhasesAsync(operationId, cancellationToken).ConfigureAwait(false);
        var comparison = UpgradeTaskComparison.Compare(operationId, platformSide.SubOperations, phases);
        var repairs = comparison.Repairable.ToList();
        if (repairs.Count > 0)
        {
            await intake.EnqueueAsync(operationId, new ReconciliationRequest(platform.AppId, platformSide.Kind,
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

        LogTask(operationId, repairs.Count, unknownHere, notSettledHere, settledDifferently, comparison.SettledAlike, platformSide.Calls,
            platformSide.Complete);
        return repairs.Count;
    }

    [LoggerMessage(EventId = 42, Level = LogLevel.Information,
        Message = "Reconciled upgrade task {OperationId}: {Repaired} sub-task(s) queued for repair ({UnknownHere} unknown here, {NotSettledHere} settled on the platform but not here, {SettledDifferently} settled differently), {SettledAlike} settled alike; {PlatformCalls} platform calls, all settled pages read: {Complete}")]
    private partial void LogTask(string operationId, int repaired, int unknownHere, int notSettledHere, int settledDifferently,
        int settledAlike, int platformCalls, bool complete);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Reconciling upgrade task {OperationId} failed: {Reason}")]
    private partial void LogTaskFailed(string operationId, string reason);

    [LoggerMessage(EventId = 44, Level = LogLevel.Information,
        Message = "Reconciliation run: {Tasks} task(s) reconciled ({TasksFailed} failed), {TasksLeft} left for later runs, {Repaired} sub-task(s) queued for repair, {PlatformCalls} platform calls")]
    private partial void LogRun(int tasks, int tasksFailed, int tasksLeft, int repaired, int platformCalls);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning,
        Message = "Reconciling upgrade task {OperationId} failed in storage; the run goes on with the next task and takes this one again later")]
    private partial void LogTaskStorageFailed(string operationId, Exception exception);
}
