using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;

namespace SwUpgradeFunc.Upgrades;

/// <summary>One call's share of a task's deletion: the rows it removed, and whether nothing of the task is left.</summary>
public sealed record TaskDeletionResult(string OperationId, int DeletedRows, bool Done);

/// <summary>A task the retention run may delete: its last activity is before the cutoff.</summary>
public sealed record ExpiredTask(string OperationId, DateTimeOffset LastUpdate);

/// <summary>A push for a task that is being deleted, or was deleted less than <see cref="TaskDeletion.PushGrace"/> ago.</summary>
public sealed class TaskDeletedException(string operationId)
    : Exception($"The task {operationId} is being deleted or was deleted less than {TaskDeletion.PushGrace.TotalMinutes:0} minutes ago.")
{
    public string OperationId { get; } = operationId;
}

/// <summary>
/// Deletes a task in bounded steps (docs/store.md, "Deleting a task"). A tombstone row is written first: from then on
/// reads answer as for an unknown task and pushes are refused, so each call can remove at most a given number of
/// rows and the caller repeats until the task is done. Every row of the task's bucket partitions is removed, whatever
/// its kind, with the device-index row of each sub-task removed before the sub-task row that points to it.
/// </summary>
internal sealed class TaskDeletion(TableClient table, TaskRows tasks, SubTaskWriter writer, TimeProvider time)
{
    /// <summary>How long an instance trusts what it last read of a task's tombstone before a push.</summary>
    public static readonly TimeSpan TombstoneCacheTime = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A deletion ends no sooner than this after its tombstone was written, with a last pass over every bucket: a push
    /// that passed its tombstone check just before the tombstone existed has then written its rows, and they are removed.
    /// </summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(15);

    /// <summary>For this long after a deletion ended, pushes of the task are still refused (late or retried pushes of the deleted task).</summary>
    public static readonly TimeSpan PushGrace = TimeSpan.FromHours(1);

    /// <summary>Operations in one entity-group transaction (the service's limit).</summary>
    private const int TransactionSize = 100;

    private const int DeviceRowParallelism = 16;

    private static readonly string[] ScanColumns = ["PartitionKey", "RowKey", "DeviceId", "SubOperationId"];

    private readonly ConcurrentDictionary<string, (Tombstone? Stone, DateTimeOffset ReadAt)> _seen = new(StringComparer.Ordinal);

    /// <summary>
    /// Removes at most <paramref name="maxRows"/> rows of the task (a few more at its end: the task and activity rows);
    /// null when there is neither the task nor its tombstone. Done also for a task already deleted.
    /// </summary>
    public async Task<TaskDeletionResult?> DeleteAsync(string operationId, int maxRows, CancellationToken cancellationToken)
    {
        var tombstone = await ReadTombstoneAsync(operationId, cancellationToken).ConfigureAwait(false);
        var deleted = 0;
        if (tombstone is null)
        {
            // Reading the task row this way also takes over a task an earlier version wrote, so that all of it is found.
            var task = await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false);
            if (task is null)
            {
                return null;
            }

            (tombstone, deleted) = await StartAsync(task, cancellationToken).ConfigureAwait(false);
        }
        else if (tombstone.Done)
        {
            return new TaskDeletionResult(operationId, 0, true);
        }

        Forget(operationId);
        for (var bucket = 0; bucket < StorageKeys.Buckets && deleted < maxRows; bucket++)
        {
            deleted += await DeletePartitionRowsAsync(operationId, bucket, maxRows - deleted, cancellationToken).ConfigureAwait(false);
        }

        if (deleted >= maxRows || time.GetUtcNow() - tombstone.DeletedAt < SettleTime)
        {
            return new TaskDeletionResult(operationId, deleted, false);
        }

        deleted += await FinishAsync(operationId, cancellationToken).ConfigureAwait(false);
        return new TaskDeletionResult(operationId, deleted, true);
    }

    /// <summary>True from the moment the task's deletion starts: reads then answer as for an unknown task.</summary>
    public async Task<bool> IsDeletedAsync(string operationId, CancellationToken cancellationToken) =>
        await ReadTombstoneAsync(operationId, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Before a push is written: refuses it (<see cref="TaskDeletedException"/>) while its task is being deleted and for
    /// <see cref="PushGrace"/> after; later, removes the tombstone so that the push starts the task afresh.
    /// </summary>
    public async Task EnsureWritableAsync(string operationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!_seen.TryGetValue(operationId, out var seen) || now - seen.ReadAt >= TombstoneCacheTime)
        {
            seen = (await ReadTombstoneAsync(operationId, cancellationToken).ConfigureAwait(false), now);
            _seen[operationId] = seen;
        }

        if (seen.Stone is not { } stone)
        {
            return;
        }

        // Whatever this instance remembers of the task was deleted with it.
        Forget(operationId);
        if (!stone.Done || now < stone.DoneAt + PushGrace)
        {
            throw new TaskDeletedException(operationId);
        }

        try
        {
            await table.DeleteEntityAsync(StorageKeys.TasksPartition, StorageKeys.TaskTombstoneRow(operationId), stone.ETag, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Another instance's push removed it first.
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            // The task was deleted again since the tombstone was read.
            _seen.TryRemove(operationId, out _);
            throw new TaskDeletedException(operationId);
        }

        _seen[operationId] = (null, now);
    }

    /// <summary>Tombstones of deletions not yet done, oldest first, for the retention run to finish.</summary>
    public async Task<List<string>> UnfinishedAsync(int max, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {StorageKeys.TasksPartition} and RowKey ge {StorageKeys.TaskTombstonePrefix} and RowKey lt {StorageKeys.TaskTombstoneEnd} and Done eq false");
        var found = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: max, select: ["OperationId"], cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            found.Add(row.GetString("OperationId"));
            if (found.Count >= max)
            {
                break;
            }
        }

        return found;
    }

    /// <summary>
    /// Tasks last active before <paramref name="cutoff"/>: activity keys sort most recent first, so they are the keys from
    /// the cutoff's on, and only those are read.
    /// </summary>
    public async Task<List<ExpiredTask>> ExpiredAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        var from = StorageKeys.TaskActivityRow(cutoff, "")[..^1];
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {StorageKeys.TasksPartition} and RowKey ge {from} and RowKey lt {StorageKeys.TaskActivityEnd}");
        var found = new List<ExpiredTask>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: max, select: ["OperationId", "LastUpdate"],
            cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            found.Add(new ExpiredTask(row.GetString("OperationId"), row.GetDateTimeOffset("LastUpdate") ?? default));
            if (found.Count >= max)
            {
                break;
            }
        }

        return found;
    }

    private async Task<(Tombstone Stone, int Removed)> StartAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entity = new TableEntity(StorageKeys.TasksPartition, StorageKeys.TaskTombstoneRow(task.OperationId))
        {
            ["OperationId"] = task.OperationId,
            ["DeletedAt"] = now,
            ["Done"] = false,
        };
        var written = await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        _seen.TryRemove(task.OperationId, out _);
        // The task list reads activity rows only: without its activity row the task leaves the list at once.
        var removed = await DeleteIfExistsAsync(StorageKeys.TasksPartition, ActivityKeyOf(task), cancellationToken).ConfigureAwait(false);
        return (new Tombstone(now, false, null, written.Headers.ETag ?? default), removed);
    }

    /// <summary>Removes the task row, its activity row and its reconciliation back-off row, then records the deletion as done.</summary>
    private async Task<int> FinishAsync(string operationId, CancellationToken cancellationToken)
    {
        var removed = await DeleteIfExistsAsync(StorageKeys.TasksPartition, StorageKeys.ReconcileBackOffRow(operationId), cancellationToken)
            .ConfigureAwait(false);
        var read = await table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskRow(operationId),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (read.HasValue)
        {
            removed += await DeleteIfExistsAsync(StorageKeys.TasksPartition, ActivityKeyOf(TaskRecord.From(read.Value!)), cancellationToken)
                .ConfigureAwait(false);
            removed += await DeleteIfExistsAsync(StorageKeys.TasksPartition, StorageKeys.TaskRow(operationId), cancellationToken)
                .ConfigureAwait(false);
        }

        await table.UpsertEntityAsync(new TableEntity(StorageKeys.TasksPartition, StorageKeys.TaskTombstoneRow(operationId))
        {
            ["Done"] = true,
            ["DoneAt"] = time.GetUtcNow(),
        }, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        _seen.TryRemove(operationId, out _);
        Forget(operationId);
        return removed;
    }

    /// <summary>
    /// Removes up to <paramref name="budget"/> rows of one partition (counting the device-index rows removed with its
    /// sub-task rows), in transactions of at most 100.
    /// </summary>
    private async Task<int> DeletePartitionRowsAsync(string operationId, int bucket, int budget, CancellationToken cancellationToken)
    {
        var partition = StorageKeys.TaskPartition(operationId, bucket);
        var rows = new List<TableEntity>();
        var deviceRows = new List<(string Partition, string Row)>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(budget, 1000), select: ScanColumns,
            cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
            if (row.RowKey.StartsWith(StorageKeys.SubTaskRowPrefix, StringComparison.Ordinal)
                && row.GetString("DeviceId") is { } deviceId && row.GetString("SubOperationId") is { } subOperationId)
            {
                deviceRows.Add((StorageKeys.DevicePartition(deviceId), StorageKeys.DeviceRow(operationId, subOperationId)));
            }

            if (rows.Count + deviceRows.Count >= budget)
            {
                break;
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        // Device-index rows first: a sub-task row is what tells where its device-index row is.
        var removed = 0;
        await Parallel.ForEachAsync(deviceRows, new ParallelOptions { MaxDegreeOfParallelism = DeviceRowParallelism, CancellationToken = cancellationToken },
            async (key, ct) => Interlocked.Add(ref removed, await DeleteIfExistsAsync(key.Partition, key.Row, ct).ConfigureAwait(false)))
            .ConfigureAwait(false);

        foreach (var chunk in rows.Chunk(TransactionSize))
        {
            try
            {
                await table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete,
                    new TableEntity(r.PartitionKey, r.RowKey), ETag.All)), cancellationToken).ConfigureAwait(false);
                removed += chunk.Length;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Another call removed some of them meanwhile: remove the rest one by one.
                foreach (var r in chunk)
                {
                    removed += await DeleteIfExistsAsync(r.PartitionKey, r.RowKey, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return removed;
    }

    private void Forget(string operationId)
    {
        tasks.Forget(operationId);
        writer.Forget(operationId);
    }

    private static string ActivityKeyOf(TaskRecord task) => task.ActivityKey ?? StorageKeys.TaskActivityRow(task.LastUpdate, task.OperationId);

    private async Task<int> DeleteIfExistsAsync(string partition, string row, CancellationToken cancellationToken)
    {
        var response = await table.DeleteEntityAsync(partition, row, ETag.All, cancellationToken).ConfigureAwait(false);
        return response.Status == 404 ? 0 : 1;
    }

    private async Task<Tombstone?> ReadTombstoneAsync(string operationId, CancellationToken cancellationToken)
    {
        var read = await table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskTombstoneRow(operationId),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!read.HasValue)
        {
            return null;
        }

        var e = read.Value!;
        return new Tombstone(e.GetDateTimeOffset("DeletedAt") ?? default, e.GetBoolean("Done") ?? false, e.GetDateTimeOffset("DoneAt"), e.ETag);
    }

    private sealed record Tombstone(DateTimeOffset DeletedAt, bool Done, DateTimeOffset? DoneAt, ETag ETag);
}
