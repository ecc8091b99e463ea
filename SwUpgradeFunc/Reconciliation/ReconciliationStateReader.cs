using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>The reads reconciliation needs from the state table: which tasks have stalled sub-tasks, and a task's phases.</summary>
public sealed class ReconciliationStateReader(TableServiceClient service, IOptions<UpgradesOptions> options)
{
    /// <summary>Tasks named at most per search; the search stops reading once it has this many.</summary>
    public const int MaxCandidates = 1000;

    private static readonly string[] OperationColumn = ["OperationId"];
    private static readonly string[] PhaseColumns = ["SubOperationId", "Phase"];

    private readonly TableClient _table = service.GetTableClient(options.Value.TableName);

    /// <summary>
    /// The tasks that have a sub-task that is not settled and had no push since <paramref name="stalledBefore"/>: one
    /// filtered query over the sub-task rows, returning only the operationId column.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindTasksWithStalledSubTasksAsync(DateTimeOffset stalledBefore, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd} and LastUpdate lt {stalledBefore} and Phase ne {UpgradePhase.Succeeded.Name()} and Phase ne {UpgradePhase.Failed.Name()}");
        var tasks = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, 1000, OperationColumn, cancellationToken).ConfigureAwait(false))
            {
                if (row.GetString("OperationId") is { Length: > 0 } operationId && tasks.Add(operationId) && tasks.Count >= MaxCandidates)
                {
                    break;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No table yet: nothing recorded, nothing stalled.
        }

        return [.. tasks];
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
