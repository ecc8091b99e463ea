using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>
/// What one reconciliation run did. <see cref="TasksReconciled"/> counts the tasks the run took, including the
/// <see cref="TasksFailed"/> whose reconciliation failed (platform or storage error); those are taken again on a later run.
/// <see cref="TasksBackingOff"/> counts the candidates the run passed over because their back-off had not yet run out.
/// </summary>
public sealed record ReconciliationRunResult(bool Ran, int TasksReconciled, int TasksLeft, int PlatformCalls, int Repaired, int TasksFailed,
    int TasksBackingOff = 0)
{
    public static ReconciliationRunResult Off { get; } = new(false, 0, 0, 0, 0, 0);
}

/// <summary>
/// The timer's work: for the tasks with stalled sub-tasks, read the platform's settled sub-tasks and queue the platform's
/// final status for each one that differs here. Bounded per run in tasks and platform calls; tasks reconciled longest ago
/// go first, so every candidate gets its turn. Candidates are the tasks active within a window (<see cref="WindowStart"/>);
/// a task the platform has nothing to repair for backs off (<see cref="ReconciliationBackOffs"/>).
/// </summary>
public sealed partial class TaskReconciler(
    PlatformClientProvider platform,
    ReconciliationStateReader state,
    ReconciliationIntake intake,
    ReconciliationBackOffs backOffs,
    IOptions<ReconciliationOptions> options,
    IOptions<Upgrades.UpgradesOptions> upgrades,
    SwUpgradeMetrics metrics,
    TimeProvider time,
    ILogger<TaskReconciler> logger)
{
    public const string Source = "timer";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastReconciled = new(StringComparer.Ordinal);

    /// <summary>A run with no known previous scheduled run: the window counts back from now.</summary>
    public Task<ReconciliationRunResult> RunAsync(CancellationToken cancellationToken) => RunAsync(null, cancellationToken);

    /// <summary>
    /// Where a run's window of task activity starts: <see cref="ReconciliationOptions.WindowDays"/> before the schedule's
    /// last run, so that a tick that comes late (cold start, restart) still covers what changed since that run instead of
    /// skipping an interval. A last run more than one window back counts as one window back, which bounds the read.
    /// </summary>
    public DateTimeOffset WindowStart(DateTimeOffset now, DateTimeOffset? lastScheduledRun)
    {
        var window = TimeSpan.FromDays(options.Value.WindowDays);
        var anchor = lastScheduledRun is { } last && last < now ? (last < now - window ? now - window : last) : now;
        return anchor - window;
    }

    /// <summary>One run; <paramref name="lastScheduledRun"/> is the schedule's previous occurrence (the timer's ScheduleStatus.Last).</summary>
    public async Task<ReconciliationRunResult> RunAsync(DateTimeOffset? lastScheduledRun, CancellationToken cancellationToken)
    {
        var client = platform.Client;
        if (client is null)
        {
            return ReconciliationRunResult.Off;
        }

        var settings = options.Value;
        var now = time.GetUtcNow();
        var activeSince = WindowStart(now, lastScheduledRun);
        var candidates = await state.FindTasksWithStalledSubTasksAsync(TimeSpan.FromMinutes(upgrades.Value.StalledAfterMinutes), activeSince,
            cancellationToken).ConfigureAwait(false);
        var ordered = candidates
            .OrderBy(op => _lastReconciled.GetValueOrDefault(op, DateTimeOffset.MinValue))
            .ThenBy(op => op, StringComparer.Ordinal)
            .ToList();

        var budget = settings.MaxPlatformCallsPerRun - 1; // a login may be due
        int calls = 0, done = 0, repaired = 0, failed = 0, backingOff = 0;
        foreach (var operationId in ordered)
        {
            if (done >= settings.MaxTasksPerRun || budget - calls < 2)
            {
                break;
            }

            try
            {
                var backOff = await backOffs.ReadAsync(operationId, cancellationToken).ConfigureAwait(false);
                if (backOff is not null && backOff.NextAttempt > now)
                {
                    backingOff++;
                    continue;
                }

                var settled = await ReadSettledAsync(client, operationId, budget - calls, cancellationToken).ConfigureAwait(false);
                calls += settled.Calls;
                var repairs = await RepairAsync(operationId, settled, cancellationToken).ConfigureAwait(false);
                repaired += repairs;
                await UpdateBackOffAsync(operationId, backOff, settled, repairs, now, cancellationToken).ConfigureAwait(false);
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

        var result = new ReconciliationRunResult(true, done, ordered.Count - done - backingOff, calls, repaired, failed, backingOff);
        LogRun(result.TasksReconciled, result.TasksFailed, result.TasksLeft, result.Repaired, result.PlatformCalls, result.TasksBackingOff,
            activeSince);
        return result;
    }

    /// <summary>
    /// Nothing to repair in a complete answer means the stalled sub-tasks are unsettled on the platform too: back off.
    /// Repairs are progress: the back-off goes, so the next run looks again. A partial answer changes nothing.
    /// </summary>
    private async Task UpdateBackOffAsync(string operationId, ReconciliationBackOff? backOff, SettledOnPlatform settled, int repairs,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (repairs > 0)
        {
            if (backOff is not null)
            {
                await backOffs.ClearAsync(operationId, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (settled.Complete)
        {
            var next = await backOffs.BackOffAsync(operationId, backOff, ReconciliationBackOffs.AnswerOf(settled.SubOperations), now,
                cancellationToken).ConfigureAwait(false);
            LogBackOff(operationId, next.Hours, next.NextAttempt);
        }
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
        Message = "Reconciliation run: {Tasks} task(s) reconciled ({TasksFailed} failed), {TasksLeft} left for later runs, {Repaired} sub-task(s) queued for repair, {PlatformCalls} platform calls, {TasksBackingOff} task(s) backing off; tasks active since {ActiveSince}")]
    private partial void LogRun(int tasks, int tasksFailed, int tasksLeft, int repaired, int platformCalls, int tasksBackingOff,
        DateTimeOffset activeSince);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning,
        Message = "Reconciling upgrade task {OperationId} failed in storage; the run goes on with the next task and takes this one again later")]
    private partial void LogTaskStorageFailed(string operationId, Exception exception);

    [LoggerMessage(EventId = 46, Level = LogLevel.Information,
        Message = "Upgrade task {OperationId}: the platform reports its stalled sub-tasks unsettled too; asked again in {Hours} h, at {NextAttempt}")]
    private partial void LogBackOff(string operationId, int hours, DateTimeOffset nextAttempt);
}
