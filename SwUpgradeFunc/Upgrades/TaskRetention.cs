using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Observability;

namespace SwUpgradeFunc.Upgrades;

/// <summary>What one retention run removed, and what it left for the next run.</summary>
public sealed record RetentionRunResult(IReadOnlyList<string> Removed, IReadOnlyList<string> Unfinished);

/// <summary>
/// Deletes the tasks whose last activity is older than <see cref="UpgradesOptions.RetentionDays"/>, through the same
/// bounded deletion as the DELETE route, at most <see cref="MaxTasksPerRun"/> tasks and <see cref="MaxRowsPerRun"/>
/// rows a run; a task it could not finish is carried on by the next run (its tombstone says so).
/// </summary>
public sealed partial class TaskRetention(
    UpgradeStateStore store,
    IOptions<UpgradesOptions> options,
    SwUpgradeMetrics metrics,
    TimeProvider time,
    ILogger<TaskRetention> logger)
{
    public const int MaxTasksPerRun = 100;
    public const int MaxRowsPerRun = 200_000;
    private const int RowsPerStep = 4_000;

    public async Task<RetentionRunResult> RunAsync(CancellationToken cancellationToken)
    {
        var days = options.Value.RetentionDays;
        if (days == 0)
        {
            return new RetentionRunResult([], []);
        }

        var cutoff = time.GetUtcNow().AddDays(-days);
        var unfinished = await store.UnfinishedDeletionsAsync(MaxTasksPerRun, cancellationToken).ConfigureAwait(false);
        var expired = await store.ExpiredTasksAsync(cutoff, MaxTasksPerRun - unfinished.Count, cancellationToken).ConfigureAwait(false);
        // No pending task's tombstone is younger than this: each is written within the task's first step.
        var lastStepEnded = time.GetUtcNow();
        var budget = MaxRowsPerRun;
        var removed = new List<string>();
        var pending = new List<string>();
        foreach (var operationId in unfinished.Concat(expired.Select(t => t.OperationId)).Distinct(StringComparer.Ordinal))
        {
            var (done, spent) = await StepAsync(operationId, budget, cancellationToken).ConfigureAwait(false);
            budget -= spent;
            if (done)
            {
                Removed(operationId, removed);
            }
            else
            {
                pending.Add(operationId);
                lastStepEnded = time.GetUtcNow();
            }

            if (budget <= 0)
            {
                break;
            }
        }

        // The last pass of a deletion waits for its settle time; one wait, counted from the youngest tombstone, serves
        // every task of the run.
        var wait = TaskDeletion.SettleTime - (time.GetUtcNow() - lastStepEnded);
        if (pending.Count > 0 && budget > 0 && wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }

        var left = new List<string>();
        foreach (var operationId in pending)
        {
            var step = budget > 0 ? await store.DeleteTaskAsync(operationId, Math.Min(RowsPerStep, budget), cancellationToken).ConfigureAwait(false) : null;
            budget -= step?.DeletedRows ?? 0;
            if (step is { Done: true })
            {
                Removed(operationId, removed);
            }
            else
            {
                left.Add(operationId);
            }
        }

        LogRun(removed.Count, left.Count, days);
        return new RetentionRunResult(removed, left);
    }

    /// <summary>Deletes rows of the task until it is done, the budget is spent, or only its settle time is left to wait for.</summary>
    private async Task<(bool Done, int Spent)> StepAsync(string operationId, int budget, CancellationToken cancellationToken)
    {
        var spent = 0;
        while (spent < budget)
        {
            var step = await store.DeleteTaskAsync(operationId, Math.Min(RowsPerStep, budget - spent), cancellationToken).ConfigureAwait(false);
            if (step is null)
            {
                return (false, spent);
            }

            spent += step.DeletedRows;
            if (step.Done || step.DeletedRows == 0)
            {
                return (step.Done, spent);
            }
        }

        return (false, spent);
    }

    private void Removed(string operationId, List<string> removed)
    {
        removed.Add(operationId);
        metrics.TaskRemovedByRetention();
        LogRemoved(operationId, options.Value.RetentionDays);
    }

    [LoggerMessage(EventId = 60, Level = LogLevel.Information,
        Message = "Retention removed task {OperationId}: no activity for more than {RetentionDays} days")]
    private partial void LogRemoved(string operationId, int retentionDays);

    [LoggerMessage(EventId = 61, Level = LogLevel.Information,
        Message = "Retention run: {Removed} tasks removed, {Left} left for the next run (Upgrades__RetentionDays {RetentionDays})")]
    private partial void LogRun(int removed, int left, int retentionDays);
}
