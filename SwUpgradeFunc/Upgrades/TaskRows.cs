using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The task row: what the list shows of a task besides its counts, and where its activity row is.</summary>
internal sealed record TaskRecord(string OperationId, string Kind, DateTimeOffset FirstUpdate, DateTimeOffset LastUpdate, ETag ETag,
    int Shards, string? ActivityKey = null)
{
    public static TaskRecord From(TableEntity e) => new(e.GetString("OperationId"), e.GetString("Kind") ?? UpgradeKinds.Software,
        e.GetDateTimeOffset("FirstUpdate") ?? default, e.GetDateTimeOffset("LastUpdate") ?? default, e.ETag,
        e.GetInt32("CounterShards") ?? StorageKeys.EarlierCounterShards, e.GetString("ActivityKey"));

    public TableEntity ToEntity(string activityRow) => new(StorageKeys.TasksPartition, StorageKeys.TaskRow(OperationId))
    {
        ["OperationId"] = OperationId,
        ["Kind"] = Kind,
        ["FirstUpdate"] = FirstUpdate,
        ["LastUpdate"] = LastUpdate,
        ["CounterShards"] = Shards,
        ["ActivityKey"] = activityRow,
    };

    /// <summary>The task's row in the most-recent-activity index, which the task list reads in key order.</summary>
    public TableEntity ToActivityEntity(string activityRow) => new(StorageKeys.TasksPartition, activityRow)
    {
        ["OperationId"] = OperationId,
        ["Kind"] = Kind,
        ["FirstUpdate"] = FirstUpdate,
        ["LastUpdate"] = LastUpdate,
        ["CounterShards"] = Shards,
    };
}

/// <summary>
/// A task's set-up and upkeep: its buckets' counter rows, its task row and its activity row. The task row is added only
/// once every bucket has its counter rows, so a reader that finds it can count the task.
/// </summary>
internal sealed class TaskRows(TableClient table, EarlierLayouts earlier)
{
    /// <summary>The task row's last activity is written at most once per this span per instance.</summary>
    public static readonly TimeSpan ActivityPrecision = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Lazy<Task<TaskRecord?>>> _setup = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskRecord> _known = new(StringComparer.Ordinal);

    /// <summary>
    /// The task row, set up with the task's first push (<paramref name="write"/>) or when a read first meets a task an
    /// earlier version wrote; null for a read of a task nobody pushed. One set-up per task at a time on this instance.
    /// </summary>
    public async Task<TaskRecord?> EnsureAsync(string operationId, SubTaskWrite? write, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue(operationId, out var known))
        {
            return known;
        }

        var setup = _setup.GetOrAdd(operationId, op => new Lazy<Task<TaskRecord?>>(() => SetUpAsync(op, write)));
        try
        {
            var record = await setup.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (record is null && write is not null)
            {
                // A read found nothing to set up while this push was waiting on it: set the task up for the push.
                record = await SetUpAsync(operationId, write).ConfigureAwait(false);
            }

            if (record is not null)
            {
                _known[operationId] = record;
            }

            return record;
        }
        finally
        {
            if (setup.Value.IsCompleted)
            {
                _setup.TryRemove(new KeyValuePair<string, Lazy<Task<TaskRecord?>>>(operationId, setup));
            }
        }
    }

    /// <summary>Drops what this instance remembers of the task (its task row), after the task was deleted.</summary>
    public void Forget(string operationId)
    {
        _known.TryRemove(operationId, out _);
        _setup.TryRemove(operationId, out _);
    }

    /// <summary>The task row as stored, setting the task up first if only an earlier version wrote it (once; later reads find the row).</summary>
    public async Task<TaskRecord?> ReadAsync(string operationId, CancellationToken cancellationToken)
    {
        var read = await table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskRow(operationId),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (read.HasValue)
        {
            return TaskRecord.From(read.Value!);
        }

        return earlier.KnownToHaveNone(operationId) ? null : await EnsureAsync(operationId, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps the task's first and last update, the last one coarse-grained (<see cref="ActivityPrecision"/>) so that a
    /// busy task does not turn its task row into a hot spot.
    /// </summary>
    public async Task TouchAsync(TaskRecord? task, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (task is null)
        {
            return;
        }

        var record = _known.GetValueOrDefault(task.OperationId, task);
        for (var attempt = 1; ; attempt++)
        {
            if (receivedAt < record.LastUpdate + ActivityPrecision && receivedAt >= record.FirstUpdate)
            {
                return;
            }

            var updated = record with { FirstUpdate = Min(record.FirstUpdate, receivedAt), LastUpdate = Max(record.LastUpdate, receivedAt) };
            // The key the task row says its activity row has: the one that exists.
            var oldActivity = record.ActivityKey ?? StorageKeys.TaskActivityRow(record.LastUpdate, record.OperationId);
            var newActivity = StorageKeys.TaskActivityRow(updated.LastUpdate, record.OperationId);
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.UpdateReplace, updated.ToEntity(newActivity), record.ETag),
            };
            if (oldActivity != newActivity)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(StorageKeys.TasksPartition, oldActivity), ETag.All));
            }

            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, updated.ToActivityEntity(newActivity)));
            try
            {
                var responses = (await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false)).Value;
                _known[record.OperationId] = updated with { ETag = responses[0].Headers.ETag ?? default, ActivityKey = newActivity };
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < UpgradeStateStore.MaxAttempts)
            {
                var read = await table.GetEntityAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskRow(record.OperationId),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                record = TaskRecord.From(read.Value);
                _known[record.OperationId] = record;
            }
        }
    }

    /// <summary>
    /// Gives a bucket its counter rows if it has none, counting and indexing the sub-task rows an earlier version left
    /// there, then adding all the shard counter rows in one transaction. Until that transaction no writer touches the
    /// bucket's sub-task rows (they all wait for the counter rows), so the counts are exact; a conflict starts the bucket over.
    /// </summary>
    public async Task<EarlierTotals> SetUpBucketAsync(string operationId, int bucket, int shardCount, CancellationToken cancellationToken)
    {
        var partition = StorageKeys.TaskPartition(operationId, bucket);
        for (var attempt = 1; ; attempt++)
        {
            var marker = await table.GetEntityIfExistsAsync<TableEntity>(partition, StorageKeys.CounterRow(0), ["PartitionKey"],
                cancellationToken).ConfigureAwait(false);
            if (marker.HasValue)
            {
                return new EarlierTotals();
            }

            var shards = Enumerable.Range(0, shardCount).Select(_ => new CounterShard()).ToArray();
            EarlierTotals totals;
            try
            {
                totals = await earlier.CountAndIndexAsync(partition, shards, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < UpgradeStateStore.MaxAttempts)
            {
                // Another instance is setting up the same bucket (or has just finished): look again.
                await Task.Delay(Random.Shared.Next(5, 50), cancellationToken).ConfigureAwait(false);
                continue;
            }

            // A bucket that starts empty keeps its failed list from its first write; one an earlier version filled is read
            // from its index rows.
            foreach (var shard in shards)
            {
                shard.KeepsFailedList = totals.Count == 0;
            }

            try
            {
                await table.SubmitTransactionAsync(shards.Select((shard, i) => new TableTransactionAction(TableTransactionActionType.Add,
                    shard.ToEntity(partition, StorageKeys.CounterRow(i)))), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // Another instance added them from the same rows.
            }

            return totals;
        }
    }

    /// <summary>
    /// Reads the task row; without one, sets up every bucket of the task (taking over sub-tasks an earlier version wrote)
    /// and then adds the task row with its activity row.
    /// </summary>
    private async Task<TaskRecord?> SetUpAsync(string operationId, SubTaskWrite? write)
    {
        var cancellationToken = CancellationToken.None;
        for (var attempt = 1; ; attempt++)
        {
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskRow(operationId),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (existing.HasValue)
            {
                return TaskRecord.From(existing.Value!);
            }

            if (write is null && !await earlier.HasSubTaskRowsAsync(operationId, cancellationToken).ConfigureAwait(false))
            {
                // A read of a task nobody pushed: nothing to set up, nothing written.
                return null;
            }

            var found = new EarlierTotals();
            await Parallel.ForEachAsync(Enumerable.Range(0, StorageKeys.Buckets), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (bucket, ct) => found.Add(await SetUpBucketAsync(operationId, bucket, StorageKeys.CounterShards, ct).ConfigureAwait(false)))
                .ConfigureAwait(false);

            if (found.Count == 0 && write is null)
            {
                return null;
            }

            var first = Min(found.FirstUpdate, write?.ReceivedAt);
            var last = Max(found.LastUpdate, write?.ReceivedAt);
            // Rows of the earliest layout may carry no kind; the task row's reader reads a missing kind as software too.
            var kind = found.Kind ?? write?.Kind ?? UpgradeKinds.Software;
            var record = new TaskRecord(operationId, kind, first, last, default, StorageKeys.CounterShards);
            var activity = StorageKeys.TaskActivityRow(last, operationId);
            try
            {
                var responses = (await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Add, record.ToEntity(activity)),
                    new TableTransactionAction(TableTransactionActionType.UpsertReplace, record.ToActivityEntity(activity)),
                ], cancellationToken).ConfigureAwait(false)).Value;
                return record with { ETag = responses[0].Headers.ETag ?? default, ActivityKey = activity };
            }
            catch (RequestFailedException ex) when (ex.Status == 409 && attempt < UpgradeStateStore.MaxAttempts)
            {
                // Another processor added it first: read it.
            }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b!.Value : b is null ? a.Value : a < b ? a.Value : b.Value;

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b!.Value : b is null ? a.Value : a > b ? a.Value : b.Value;
}
