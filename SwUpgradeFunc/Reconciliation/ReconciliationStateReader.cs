using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>The reads reconciliation needs from the state table: which tasks have stalled sub-tasks, and a task's phases.</summary>
public sealed class ReconciliationStateReader(TableServiceClient service, UpgradeStateStore store, IOptions<UpgradesOptions> options)
{
    /// <summary>Tasks named at most per search; the search stops reading once it has this many.</summary>
    public const int MaxCandidates = 1000;

    private const int TaskPageSize = 100;

    private static readonly string[] PhaseColumns = ["SubOperationId", "Phase"];

    private readonly TableClient _table = service.GetTableClient(options.Value.TableName);

    /// <summary>
    /// The tasks that have a sub-task that is not settled and had no push for <paramref name="stalledAfter"/>. Walks the
    /// task list, whose stalled counts come from each task's counter rows, so the search costs the same whatever the
    /// tasks' sizes: it never reads sub-task rows.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindTasksWithStalledSubTasksAsync(TimeSpan stalledAfter, CancellationToken cancellationToken)
    {
        var tasks = new List<string>();
        string? token = null;
        do
        {
            var page = await store.ListTasksAsync(TaskPageSize, token, stalledAfter, cancellationToken).ConfigureAwait(false);
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
        var perBucket = await Task.WhenAll(Enumerable.Range(0, StorageKeys.Buckets).Select(async bucket =>
        {
            var rows = new List<(string, string?)>();
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {StorageKeys.TaskPartition(operationId, bucket)} and RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd}");
            try
            {
                await foreach (var e in _table.QueryAsync<TableEntity>(filter, 1000, PhaseColumns, cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((e.GetString("SubOperationId"), e.GetString("Phase")));
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
            }

            return rows;
        })).ConfigureAwait(false);

        var phases = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (subOperationId, phase) in perBucket.SelectMany(b => b))
        {
            phases[subOperationId] = phase;
        }

        return phases;
    }
}
