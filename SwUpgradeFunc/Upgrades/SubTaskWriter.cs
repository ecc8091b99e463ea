using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// Writes one sub-task's transition as one entity-group transaction in its bucket partition: the sub-task row
/// (conditional on its ETag), its shard's counter row (conditional on its ETag, only when what it counts changes), its
/// index row and, when the sub-task is or was failed, its bucket's failed list (conditional on its ETag); any conflict
/// fails the whole transaction, which is then decided again from fresh reads. The last written sub-task, counter and
/// failed-list rows are kept in memory with their ETags: a stale entry costs a 412 and a re-read, never a lost update.
/// </summary>
internal sealed class SubTaskWriter(TableClient table, TaskRows tasks, TimelineWrites timeline) : IDisposable
{
    /// <summary>Counter rows kept in memory (96 per task; a few KB each at most).</summary>
    private const int CachedCounters = 10_000;

    /// <summary>Failed lists kept in memory (32 per task at most; up to <see cref="FailedList.MaxBytes"/> each, usually far less).</summary>
    private const int CachedLists = 1_000;

    private readonly MemoryCache _written = new(new MemoryCacheOptions { SizeLimit = UpgradeStateStore.CachedSubTasks });
    private readonly MemoryCache _counters = new(new MemoryCacheOptions { SizeLimit = CachedCounters });
    private readonly MemoryCache _lists = new(new MemoryCacheOptions { SizeLimit = CachedLists });
    private readonly SemaphoreSlim[] _shardGates = [.. Enumerable.Range(0, 1024).Select(_ => new SemaphoreSlim(1, 1))];

    public void Dispose()
    {
        _written.Dispose();
        _counters.Dispose();
        _lists.Dispose();
        foreach (var gate in _shardGates)
        {
            gate.Dispose();
        }
    }

    /// <summary>Drops the task's sub-task and counter rows this instance remembers, after the task was deleted.</summary>
    public void Forget(string operationId)
    {
        var prefix = StorageKeys.TaskPartition(operationId, 0)[..^2];
        foreach (var cache in new[] { _written, _counters, _lists })
        {
            foreach (var key in cache.Keys.OfType<string>().Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                cache.Remove(key);
            }
        }
    }

    /// <summary>Applies <paramref name="decide"/> to the sub-task's stored state and commits what it returns, deciding again after a conflict.</summary>
    public async Task<Transition> WriteAsync(SubTaskWrite write, Func<SubTaskState?, Transition> decide, CancellationToken cancellationToken)
    {
        var task = await tasks.EnsureAsync(write.OperationId, write, cancellationToken).ConfigureAwait(false);
        var partition = StorageKeys.TaskPartition(write.OperationId, write.SubOperationId);
        var row = StorageKeys.SubTaskRow(write.SubOperationId);
        var shards = task?.Shards ?? StorageKeys.CounterShards;
        var bucket = StorageKeys.BucketOf(write.SubOperationId);
        var counterRow = StorageKeys.CounterRow(StorageKeys.ShardOf(write.SubOperationId, shards));
        var cacheKey = partition + "\n" + row;
        var counterKey = partition + "\n" + counterRow;
        var listKey = partition + "\n" + FailedList.Row;
        var indexed = false;
        List<TimelineRowChange> timelineRows = [];

        // Pushes of this instance that meet on one counter row wait here rather than conflict in storage.
        var gate = _shardGates[(int)((uint)StringComparer.Ordinal.GetHashCode(counterKey) % (uint)_shardGates.Length)];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Transition transition;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                if (!_written.TryGetValue(cacheKey, out TableEntity? current))
                {
                    var read = await table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                    current = read.HasValue ? read.Value : null;
                }

                if (current is null && !indexed)
                {
                    // Before the sub-task exists, so that a crash between the two leaves an index row, never an unindexed sub-task.
                    await table.UpsertEntityAsync(StateEntities.DeviceIndexEntity(write.DeviceId, write.OperationId, write.SubOperationId),
                        TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                    indexed = true;
                }

                var counter = await ReadCounterAsync(write.OperationId, bucket, shards, partition, counterRow, counterKey, cancellationToken)
                    .ConfigureAwait(false);
                var before = current is null ? (CountedState?)null : CountedState.Of(current);
                var oldIndexRows = current is null ? [] : IndexRowsOf(current, before!.Value, write.SubOperationId);

                transition = decide(current is null ? null : StateEntities.ToState(current));
                var state = transition.State;
                var after = CountedState.Of(state);
                var indexRow = StorageKeys.IndexRow(after, write.SubOperationId);
                var entity = StateEntities.ToEntity(state, partition, row);
                entity[StateEntities.IndexKeyColumn] = indexRow;
                entity[TimelineCounting.CountedColumn] = true;
                entity[VersionCounting.CountedColumn] = true;

                var actions = new List<TableTransactionAction>(4)
                {
                    current is null
                        ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                        : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, current.ETag),
                };
                var nextCounter = counter.Clone();
                var counterChanged = nextCounter.Move(before, after);
                if (counterChanged)
                {
                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace,
                        nextCounter.ToEntity(partition, counterRow), counter.ETag));
                }

                // The timeline rows move with the sub-task row like the counter row: its settle from what the stored row
                // counted to what the new state counts, and a recorded push in the minute the receiver took it.
                timelineRows = await timeline.PrepareAsync(partition, write.SubOperationId,
                    current is null ? null : TimelineCounting.SettleOf(current), TimelineCounting.SettleOf(state),
                    write.IsPush && !transition.IsDuplicate ? CountedState.MinuteOf(write.ReceivedAt) : null, cancellationToken).ConfigureAwait(false);
                var firstTimelineAction = actions.Count;
                actions.AddRange(timelineRows.Select(r => r.Action()));

                // The index row moves with the counts (its key holds what they count) and is rewritten in place otherwise;
                // a duplicate leaves it alone, unless it still has a key of the earlier layout.
                var moved = oldIndexRows.Any(old => old != indexRow);
                var indexWritten = !transition.IsDuplicate || moved;
                if (indexWritten)
                {
                    foreach (var old in oldIndexRows.Where(old => old != indexRow))
                    {
                        actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, old), ETag.All));
                    }

                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                        StateEntities.IndexEntity(partition, indexRow, state)));
                }

                // The failed list follows the failed index rows it copies, in the same transaction.
                FailedList? nextList = null;
                var listAction = actions.Count;
                if (indexWritten && counter.KeepsFailedList && FailedList.Concerns(before, after))
                {
                    var list = await ReadListAsync(partition, listKey, cancellationToken).ConfigureAwait(false);
                    nextList = list.Clone();
                    if (nextList.Apply(oldIndexRows, indexRow, state))
                    {
                        actions.Add(list.Exists
                            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, nextList.ToEntity(partition), list.ETag)
                            : new TableTransactionAction(TableTransactionActionType.Add, nextList.ToEntity(partition)));
                    }
                    else
                    {
                        nextList = null;
                    }
                }

                try
                {
                    var responses = (await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false)).Value;
                    entity.ETag = responses[0].Headers.ETag ?? default;
                    _written.Set(cacheKey, entity, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(15) });
                    if (counterChanged)
                    {
                        nextCounter.ETag = responses[1].Headers.ETag ?? default;
                        _counters.Set(counterKey, nextCounter, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(15) });
                    }

                    for (var i = 0; i < timelineRows.Count; i++)
                    {
                        timeline.Committed(timelineRows[i], responses[firstTimelineAction + i].Headers.ETag ?? default);
                    }

                    if (nextList is not null)
                    {
                        nextList.ETag = responses[listAction].Headers.ETag ?? default;
                        nextList.Exists = true;
                        _lists.Set(listKey, nextList, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(15) });
                    }

                    break;
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 409 or 412 && attempt < UpgradeStateStore.MaxAttempts)
                {
                    // 404: a remembered row was deleted with its task on another instance.
                    // Another processor wrote the sub-task or the counter row since we read them: read both again.
                    _written.Remove(cacheKey);
                    _counters.Remove(counterKey);
                    _lists.Remove(listKey);
                    timeline.Forget(timelineRows);
                    await Task.Delay(Random.Shared.Next(5, 20 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            gate.Release();
        }

        await tasks.TouchAsync(task, write.ReceivedAt, cancellationToken).ConfigureAwait(false);
        return transition;
    }

    /// <summary>The index rows that exist for a sub-task row: the one it records, or those of the earlier layout.</summary>
    private static string[] IndexRowsOf(TableEntity subTaskRow, CountedState counted, string subOperationId) =>
        subTaskRow.GetString(StateEntities.IndexKeyColumn) is { } key
            ? [key]
            : EarlierLayouts.IndexRowsOf(subTaskRow, counted, subOperationId);

    private async Task<FailedList> ReadListAsync(string partition, string listKey, CancellationToken cancellationToken)
    {
        if (_lists.TryGetValue(listKey, out FailedList? cached) && cached is not null)
        {
            return cached;
        }

        var read = await table.GetEntityIfExistsAsync<TableEntity>(partition, FailedList.Row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return read.HasValue ? FailedList.From(read.Value!) : new FailedList();
    }

    private async Task<CounterShard> ReadCounterAsync(string operationId, int bucket, int shards, string partition, string counterRow,
        string counterKey, CancellationToken cancellationToken)
    {
        if (_counters.TryGetValue(counterKey, out CounterShard? cached) && cached is not null)
        {
            return cached;
        }

        for (var attempt = 1; ; attempt++)
        {
            var read = await table.GetEntityIfExistsAsync<TableEntity>(partition, counterRow, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (read.HasValue)
            {
                return CounterShard.From(read.Value!);
            }

            if (attempt > 2)
            {
                throw new InvalidOperationException($"The counter row {counterRow} of {partition} is missing after its bucket was set up.");
            }

            // The task row exists, so every bucket was set up; this one only if a set-up was interrupted: finish it.
            await tasks.SetUpBucketAsync(operationId, bucket, shards, cancellationToken).ConfigureAwait(false);
        }
    }
}
