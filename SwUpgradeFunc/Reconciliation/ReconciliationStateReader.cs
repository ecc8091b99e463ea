using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>The reads reconciliation needs from the state table: which tasks have stalled sub-tasks, and a task's phases.</summary>
public sealed class ReconciliationStateReader(UpgradeStateStore store)
{
    /// <summary>Tasks named at most per search; the search stops reading once it has this many.</summary>
    public const int MaxCandidates = 1000;

    /// <summary>Tasks read per page of the task list.</summary>
    internal int TaskPageSize { get; init; } = 100;

    /// <summary>Sub-tasks read per page of a task.</summary>
    internal int PhasePageSize { get; init; } = 1000;

    /// <summary>
    /// The tasks active since <paramref name="activeSince"/> that have a sub-task that is not settled and had no push for
    /// <paramref name="stalledAfter"/>. Reads the activity rows most recent first and stops at the first one older than
    /// <paramref name="activeSince"/>, so tasks that went quiet before then cost nothing however many they are; the
    /// stalled counts come from each candidate's counter rows, never from its sub-task rows.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindTasksWithStalledSubTasksAsync(TimeSpan stalledAfter, DateTimeOffset activeSince,
        CancellationToken cancellationToken)
    {
        var tasks = new List<string>();
        string? token = null;
        do
        {
            var page = await store.ListTasksActiveSinceAsync(activeSince, TaskPageSize, token, stalledAfter, cancellationToken).ConfigureAwait(false);
            foreach (var task in page.Tasks)
            {
                if (task.Stalled > 0)
                {
                    tasks.Add(task.OperationId);
                    if (tasks.Count >= MaxCandidates)
                    {
                        return tasks;
                    }
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return tasks;
    }

    /// <summary>The phase of each of the task's sub-tasks by subOperationId (null while only unknown states arrived).</summary>
    public async Task<IReadOnlyDictionary<string, string?>> ReadPhasesAsync(string operationId, CancellationToken cancellationToken)
    {
        var phases = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await store.ListSubTasksAsync(operationId, SubTaskFilter.All, PhasePageSize, token, store.DefaultStalledAfter,
                cancellationToken).ConfigureAwait(false);
            foreach (var row in page?.SubTasks ?? [])
            {
                phases[row.SubOperationId] = row.Phase == UpgradePhases.None ? null : row.Phase;
            }

            token = page?.ContinuationToken;
        }
        while (token is not null);

        return phases;
    }
}
