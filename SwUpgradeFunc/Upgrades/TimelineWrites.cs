using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;

namespace SwUpgradeFunc.Upgrades;

/// <summary>One timeline row a write changes: as read (with its ETag), and as it is to be written.</summary>
internal sealed record TimelineRowChange(string Partition, string Row, TimelineShard Read, TimelineShard Next)
{
    /// <summary>Added when new (a 409 means another writer added it first), otherwise replaced on the ETag it was read with.</summary>
    public TableTransactionAction Action() => Read.Exists
        ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, Next.ToEntity(Partition, Row), Read.ETag)
        : new TableTransactionAction(TableTransactionActionType.Add, Next.ToEntity(Partition, Row));
}

/// <summary>
/// The timeline rows of <see cref="SubTaskWriter"/>'s transactions: which rows a write changes and how, from rows kept in
/// memory with their ETags (read once per row and instance); a stale one costs a 412 and a re-read.
/// </summary>
internal sealed class TimelineWrites(TableClient table) : IDisposable
{
    /// <summary>Timeline rows kept in memory (96 per task and day; at most a few KB each).</summary>
    private const int CachedRows = 10_000;

    private readonly MemoryCache _rows = new(new MemoryCacheOptions { SizeLimit = CachedRows });

    public void Dispose() => _rows.Dispose();

    /// <summary>
    /// The rows to change for the sub-task's settle moving from <paramref name="before"/> to <paramref name="after"/> and
    /// its push (when recorded) at <paramref name="pushMinute"/>; none when nothing the timeline counts changes.
    /// </summary>
    public async Task<List<TimelineRowChange>> PrepareAsync(string partition, string subOperationId, (long Minute, MinuteCounts Counts)? before,
        (long Minute, MinuteCounts Counts)? after, long? pushMinute, CancellationToken cancellationToken)
    {
        var shard = StorageKeys.ShardOf(subOperationId, StorageKeys.CounterShards);
        var result = new List<TimelineRowChange>();
        foreach (var day in TimelineCounting.Changes(before, after, pushMinute).GroupBy(c => StorageKeys.TimelineRow(c.Key, shard)))
        {
            var read = await ReadAsync(partition, day.Key, cancellationToken).ConfigureAwait(false);
            var next = read.Clone();
            foreach (var (minute, delta) in day)
            {
                next.Add(minute, delta);
            }

            result.Add(new TimelineRowChange(partition, day.Key, read, next));
        }

        return result;
    }

    /// <summary>Remembers a committed row with the ETag the transaction gave it.</summary>
    public void Committed(TimelineRowChange change, Azure.ETag etag)
    {
        var stored = change.Next.Clone();
        stored.ETag = etag;
        stored.Exists = true;
        _rows.Set(Key(change.Partition, change.Row), stored, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(15) });
    }

    /// <summary>After a conflict: the rows are read again.</summary>
    public void Forget(IEnumerable<TimelineRowChange> changes)
    {
        foreach (var change in changes)
        {
            _rows.Remove(Key(change.Partition, change.Row));
        }
    }

    private async Task<TimelineShard> ReadAsync(string partition, string row, CancellationToken cancellationToken)
    {
        if (_rows.TryGetValue(Key(partition, row), out TimelineShard? cached) && cached is not null)
        {
            return cached;
        }

        var read = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return read.HasValue ? TimelineShard.From(read.Value!) : new TimelineShard();
    }

    private static string Key(string partition, string row) => partition + "\n" + row;
}
