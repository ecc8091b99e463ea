using Azure;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Storage;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// The status API's reads: a task's counts from its counter rows (point reads, whatever the task's size), its lists
/// from the asked phase's own index rows, the task list from the activity index, and a device's sub-tasks.
/// </summary>
internal sealed class UpgradeStateQueries(TableClient table, RetryableSetUp tableReady, TaskRows tasks, UpgradesOptions options, TimeProvider time)
{
    /// <summary>Parallel point reads of one task's counter rows (32 buckets x 3 shards).</summary>
    private const int CounterReadParallelism = 32;

    private static readonly string[] TaskColumns = ["OperationId", "Kind", "FirstUpdate", "LastUpdate", "CounterShards"];

    public async Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken)
    {
        var filter = SubTaskFilter.All;
        var scope = ContinuationTokens.Scope("progress", operationId, filter, stalledAfter);
        var (segment, tableToken) = ContinuationTokens.Parse(scope, continuationToken, StorageKeys.Buckets * filter.RangeCount);
        await tableReady.EnsureAsync().ConfigureAwait(false);
        var task = await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            return null;
        }

        var cutoff = Cutoff(stalledAfter);
        var countsTask = SummarizeAsync(task, stalledAfter, cutoff, cancellationToken);
        var (rows, next) = await ReadPageAsync(operationId, filter, cutoff, pageSize, segment, tableToken, scope, cancellationToken)
            .ConfigureAwait(false);
        var summary = await countsTask.ConfigureAwait(false);
        return new TaskProgress(summary, options.FailureRateThreshold, options.FailureRateMinSettled, rows, next);
    }

    public async Task<SubTaskPage?> ListSubTasksAsync(string operationId, SubTaskFilter filter, int pageSize, string? continuationToken,
        TimeSpan stalledAfter, CancellationToken cancellationToken)
    {
        var scope = ContinuationTokens.Scope("subtasks", operationId, filter, stalledAfter);
        var (segment, tableToken) = ContinuationTokens.Parse(scope, continuationToken, StorageKeys.Buckets * filter.RangeCount);
        await tableReady.EnsureAsync().ConfigureAwait(false);
        if (await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var (rows, next) = await ReadPageAsync(operationId, filter, Cutoff(stalledAfter), pageSize, segment, tableToken, scope,
            cancellationToken).ConfigureAwait(false);
        return new SubTaskPage(operationId, filter.Name, UpgradeStateStore.Iso(stalledAfter), rows, next) { ErrorCode = filter.ErrorCode };
    }

    public async Task<TaskList> ListTasksAsync(int pageSize, string? continuationToken, TimeSpan stalledAfter, CancellationToken cancellationToken)
    {
        var scope = ContinuationTokens.Scope("tasks", "", SubTaskFilter.All, TimeSpan.Zero);
        var (_, tableToken) = ContinuationTokens.Parse(scope, continuationToken, 1);
        await tableReady.EnsureAsync().ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {StorageKeys.TasksPartition} and RowKey ge {StorageKeys.TaskActivityPrefix} and RowKey lt {StorageKeys.TaskActivityEnd}");
        var page = await FirstPageAsync(filter, TaskColumns, pageSize, tableToken, cancellationToken).ConfigureAwait(false);
        var cutoff = Cutoff(stalledAfter);
        var summaries = new List<TaskSummary>();
        foreach (var entity in page?.Values ?? [])
        {
            summaries.Add(await SummarizeAsync(TaskRecord.From(entity), stalledAfter, cutoff, cancellationToken).ConfigureAwait(false));
        }

        return new TaskList(summaries, page?.ContinuationToken is { } more ? ContinuationTokens.Format(scope, 0, more) : null);
    }

    public async Task<DeviceUpgrades?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        await tableReady.EnsureAsync().ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageKeys.DevicePartition(deviceId)}");
        var subTasks = new List<SubTaskDetail>();
        await foreach (var pointer in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var operationId = pointer.GetString("OperationId");
            var subOperationId = pointer.GetString("SubOperationId");
            var entity = await table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TaskPartition(operationId, subOperationId),
                StorageKeys.SubTaskRow(subOperationId), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entity.HasValue)
            {
                subTasks.Add(SubTaskDetail.From(StateEntities.ToState(entity.Value!)));
            }
        }

        return subTasks.Count == 0
            ? null
            : new DeviceUpgrades(deviceId, [.. subTasks.OrderBy(s => s.FirstUpdate).ThenBy(s => s.OperationId, StringComparer.Ordinal)]);
    }

    /// <summary>Sums the task's counter rows: one per shard of each bucket.</summary>
    private async Task<TaskSummary> SummarizeAsync(TaskRecord task, TimeSpan stalledAfter, long cutoffTicks, CancellationToken cancellationToken)
    {
        var phases = UpgradePhases.Names.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        var stalled = 0;
        var gate = new object();
        var cutoffMinute = cutoffTicks / TimeSpan.TicksPerMinute;
        var keys = Enumerable.Range(0, StorageKeys.Buckets)
            .SelectMany(b => Enumerable.Range(0, task.Shards).Select(s => (Partition: StorageKeys.TaskPartition(task.OperationId, b), Row: StorageKeys.CounterRow(s))));
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = CounterReadParallelism, CancellationToken = cancellationToken },
            async (key, ct) =>
            {
                var read = await table.GetEntityIfExistsAsync<TableEntity>(key.Partition, key.Row, cancellationToken: ct).ConfigureAwait(false);
                if (!read.HasValue)
                {
                    return;
                }

                var shard = CounterShard.From(read.Value!);
                var before = shard.ActiveBefore(cutoffMinute);
                lock (gate)
                {
                    foreach (var (phase, count) in shard.Phases)
                    {
                        phases[phase] += count;
                    }

                    stalled += before;
                }
            }).ConfigureAwait(false);

        var total = phases.Values.Sum();
        var settled = phases[UpgradePhase.Succeeded.Name()] + phases[UpgradePhase.Failed.Name()];
        double? failureRate = settled == 0 ? null : Math.Round((double)phases[UpgradePhase.Failed.Name()] / settled, 4);
        var alert = settled >= options.FailureRateMinSettled && failureRate > options.FailureRateThreshold;
        return new TaskSummary(task.OperationId, task.Kind, task.FirstUpdate, task.LastUpdate, total, phases, total - settled, settled,
            stalled, UpgradeStateStore.Iso(stalledAfter), failureRate, alert);
    }

    /// <summary>
    /// Fills a page from the filter's key ranges, bucket after bucket: the rows read are the asked phase's own index rows.
    /// </summary>
    private async Task<(List<SubTaskRow> Rows, string? Next)> ReadPageAsync(string operationId, SubTaskFilter filter, long cutoffTicks,
        int pageSize, int segment, string? tableToken, string scope, CancellationToken cancellationToken)
    {
        // A segment is one key range in one bucket: bucket after bucket, and within a bucket range after range.
        var ranges = filter.Ranges(cutoffTicks);
        var segments = StorageKeys.Buckets * ranges.Count;
        var rows = new List<SubTaskRow>();
        string? next = null;
        while (segment < segments && rows.Count < pageSize)
        {
            var partition = StorageKeys.TaskPartition(operationId, segment / ranges.Count);
            var (start, stop) = ranges[segment % ranges.Count];
            var query = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey ge {start} and RowKey lt {stop})");
            if (filter.ColumnCondition is { } condition)
            {
                query += " and " + condition;
            }

            var page = await FirstPageAsync(query, StateEntities.SummaryColumns, pageSize - rows.Count, tableToken, cancellationToken)
                .ConfigureAwait(false);
            rows.AddRange(page?.Values.Select(e => StateEntities.ToRow(e, cutoffTicks)) ?? []);
            if (page?.ContinuationToken is { } more)
            {
                tableToken = more;
            }
            else
            {
                segment++;
                tableToken = null;
            }

            next = segment < segments ? ContinuationTokens.Format(scope, segment, tableToken) : null;
        }

        return (rows, next);
    }

    private async Task<Page<TableEntity>?> FirstPageAsync(string filter, string[] columns, int pageSize, string? tableToken,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var page in table.QueryAsync<TableEntity>(filter, pageSize, columns, cancellationToken)
                               .AsPages(tableToken, pageSize).ConfigureAwait(false))
            {
                return page;
            }

            return null;
        }
        catch (RequestFailedException ex) when (ex.Status == 400 && tableToken is not null)
        {
            throw new InvalidContinuationTokenException("The continuation token is not valid.");
        }
    }

    /// <summary>Stalled means no push before this instant, rounded down to the minute so the counter rows' minutes answer it exactly.</summary>
    private long Cutoff(TimeSpan stalledAfter)
    {
        var ticks = (time.GetUtcNow() - stalledAfter).UtcTicks;
        return ticks - (ticks % TimeSpan.TicksPerMinute);
    }
}
