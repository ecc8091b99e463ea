using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// The take-over of rows written by earlier versions of the store: sub-task rows without counter or index rows (the
/// version before counters), and index rows under the phase and active keys of the version before one index row per
/// sub-task. Everything that knows those layouts is here, so that this file can go once no such data is left.
/// </summary>
internal sealed class EarlierLayouts(TableClient table) : IDisposable
{
    /// <summary>Earlier sub-tasks indexed per transaction while taking a bucket over: 2 operations each, 100 at most.</summary>
    private const int MigrationChunk = 50;

    /// <summary>
    /// How long a task found without earlier rows is known to have none. No writer of this version writes the earlier
    /// layouts, so the answer holds; the span only bounds a mixed deployment with an instance of an earlier version.
    /// </summary>
    public static readonly TimeSpan NoneFoundLifetime = TimeSpan.FromMinutes(10);

    private readonly MemoryCache _noneFound = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    public void Dispose() => _noneFound.Dispose();

    /// <summary>
    /// Whether a recent look found no sub-task rows of the task: a read of an operationId nobody pushed (the page polls
    /// one every few seconds) then costs its task row alone, not a query per bucket.
    /// </summary>
    public bool KnownToHaveNone(string operationId) => _noneFound.TryGetValue(operationId, out _);

    /// <summary>
    /// The index rows that exist for a sub-task row of the layout before it recorded its index key: its phase index row
    /// (<c>p|{phase}|{sub}</c>) and the active index row named in <c>ActiveKey</c>, if any.
    /// </summary>
    public static string[] IndexRowsOf(TableEntity subTaskRow, CountedState counted, string subOperationId)
    {
        var phaseRow = $"{StorageKeys.PhaseIndexStart(counted.Phase)}{StorageKeys.Escape(subOperationId)}";
        return subTaskRow.GetString("ActiveKey") is { } active ? [phaseRow, active] : [phaseRow];
    }

    /// <summary>
    /// Counts the sub-task rows an earlier version left in a bucket without counter rows into <paramref name="shards"/>
    /// and gives each its index row, each write conditional on the sub-task row's ETag (a conflict throws, and the caller
    /// starts the bucket over).
    /// </summary>
    public async Task<EarlierTotals> CountAndIndexAsync(string partition, CounterShard[] shards, CancellationToken cancellationToken)
    {
        var totals = new EarlierTotals();
        var pending = new List<TableTransactionAction>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var state = StateEntities.ToState(row);
            var counted = CountedState.Of(state);
            shards[StorageKeys.ShardOf(state.SubOperationId, shards.Length)].Add(counted, +1);
            totals.Add(state);
            var indexRow = StorageKeys.IndexRow(counted, state.SubOperationId);
            pending.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge,
                new TableEntity(partition, row.RowKey) { [StateEntities.IndexKeyColumn] = indexRow, [VersionCounting.CountedColumn] = true },
                row.ETag));
            pending.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, StateEntities.IndexEntity(partition, indexRow, state)));
            if (pending.Count >= MigrationChunk * 2)
            {
                await table.SubmitTransactionAsync(pending, cancellationToken).ConfigureAwait(false);
                pending.Clear();
            }
        }

        if (pending.Count > 0)
        {
            await table.SubmitTransactionAsync(pending, cancellationToken).ConfigureAwait(false);
        }

        return totals;
    }

    /// <summary>Whether an earlier version left sub-task rows of the task (one row at most per bucket is read).</summary>
    public async Task<bool> HasSubTaskRowsAsync(string operationId, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(Enumerable.Range(0, StorageKeys.Buckets).Select(async bucket =>
        {
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {StorageKeys.TaskPartition(operationId, bucket)} and RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd}");
            await foreach (var page in table.QueryAsync<TableEntity>(filter, 1, ["PartitionKey"], cancellationToken).AsPages(pageSizeHint: 1)
                               .ConfigureAwait(false))
            {
                return page.Values.Count > 0;
            }

            return false;
        })).ConfigureAwait(false);
        if (found.Any(f => f))
        {
            return true;
        }

        _noneFound.Set(operationId, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = NoneFoundLifetime });
        return false;
    }
}

/// <summary>What taking buckets over found of sub-tasks written by an earlier version, for the new task row.</summary>
internal sealed class EarlierTotals
{
    public int Count { get; private set; }
    public string? Kind { get; private set; }
    public DateTimeOffset? FirstUpdate { get; private set; }
    public DateTimeOffset? LastUpdate { get; private set; }

    public void Add(SubTaskState state)
    {
        Count++;
        Kind ??= state.Kind;
        FirstUpdate = FirstUpdate is null || state.FirstUpdate < FirstUpdate ? state.FirstUpdate : FirstUpdate;
        LastUpdate = LastUpdate is null || state.LastUpdate > LastUpdate ? state.LastUpdate : LastUpdate;
    }

    /// <summary>Adds another bucket's totals; buckets are taken over in parallel.</summary>
    public void Add(EarlierTotals other)
    {
        lock (this)
        {
            if (other.Count == 0)
            {
                return;
            }

            Count += other.Count;
            Kind ??= other.Kind;
            FirstUpdate = FirstUpdate is null || other.FirstUpdate < FirstUpdate ? other.FirstUpdate : FirstUpdate;
            LastUpdate = LastUpdate is null || other.LastUpdate > LastUpdate ? other.LastUpdate : LastUpdate;
        }
    }
}
