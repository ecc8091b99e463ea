using Azure.Data.Tables;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// Every row the store keeps for a task of the given sub-task states, as its transactions would leave them, for seeding
/// large tables quickly (write them in batches per partition). The benchmarks compile this file too; a test checks that
/// these are the rows the store itself leaves. Timeline rows count each settle and each push the history records (all of
/// them while nothing was cut from it).
/// </summary>
internal static class SeededRows
{
    public static IEnumerable<TableEntity> RowsOf(string operationId, IReadOnlyList<SubTaskState> states)
    {
        var shards = new Dictionary<(int Bucket, int Shard), CounterShard>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            for (var k = 0; k < StorageKeys.CounterShards; k++)
            {
                shards[(b, k)] = new CounterShard { KeepsFailedList = true };
            }
        }

        var timeline = new Dictionary<(string Partition, string Row), TimelineShard>();
        var lists = new Dictionary<string, FailedList>();
        foreach (var state in states)
        {
            var partition = StorageKeys.TaskPartition(operationId, state.SubOperationId);
            var counted = CountedState.Of(state);
            shards[(StorageKeys.BucketOf(state.SubOperationId), StorageKeys.ShardOf(state.SubOperationId, StorageKeys.CounterShards))].Add(counted, +1);
            var indexRow = StorageKeys.IndexRow(counted, state.SubOperationId);
            var entity = StateEntities.ToEntity(state, partition, StorageKeys.SubTaskRow(state.SubOperationId));
            entity[StateEntities.IndexKeyColumn] = indexRow;
            entity[TimelineCounting.CountedColumn] = true;
            entity[VersionCounting.CountedColumn] = true;
            var changes = state.History.Where(h => h.NotifyType != MessageTypes.Reconciliation)
                .Select(h => (Minute: CountedState.MinuteOf(h.ReceivedAt), Counts: new MinuteCounts(0, 0, 1)))
                .Concat(TimelineCounting.SettleOf(state) is { } settle ? [settle] : []);
            foreach (var (minute, counts) in changes)
            {
                var key = (partition, StorageKeys.TimelineRow(minute, StorageKeys.ShardOf(state.SubOperationId, StorageKeys.CounterShards)));
                (timeline.TryGetValue(key, out var row) ? row : timeline[key] = new TimelineShard()).Add(minute, counts);
            }

            if (FailedList.Concerns(null, counted))
            {
                (lists.TryGetValue(partition, out var list) ? list : lists[partition] = new FailedList()).Apply([], indexRow, state);
            }

            yield return entity;
            yield return StateEntities.IndexEntity(partition, indexRow, state);
        }

        foreach (var ((bucket, shard), counter) in shards)
        {
            yield return counter.ToEntity(StorageKeys.TaskPartition(operationId, bucket), StorageKeys.CounterRow(shard));
        }

        foreach (var (partition, list) in lists)
        {
            yield return list.ToEntity(partition);
        }

        foreach (var ((partition, row), shard) in timeline)
        {
            yield return shard.ToEntity(partition, row);
        }

        var task = new TaskRecord(operationId, states[0].Kind, states.Min(s => s.FirstUpdate), states.Max(s => s.LastUpdate), default,
            StorageKeys.CounterShards);
        var activity = StorageKeys.TaskActivityRow(task.LastUpdate, operationId);
        yield return task.ToEntity(activity);
        yield return task.ToActivityEntity(activity);
    }
}
