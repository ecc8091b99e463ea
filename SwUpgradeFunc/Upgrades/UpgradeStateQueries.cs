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

    /// <summary>Key ranges a page reads at once: every range of every bucket, for any filter (at most 4 per bucket).</summary>
    private const int PageFanOut = 128;

    /// <summary>The most rows the table returns to one request.</summary>
    private const int MaxQueryPage = 1000;

    /// <summary>An index row's columns for a list, with its key, where the next round or page resumes.</summary>
    private static readonly string[] PageColumns = [.. StateEntities.SummaryColumns, "RowKey"];

    private static readonly string[] TaskColumns = ["OperationId", "Kind", "FirstUpdate", "LastUpdate", "CounterShards"];

    private static readonly string FailedPhase = UpgradePhase.Failed.Name();

    public async Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken)
    {
        var filter = SubTaskFilter.All;
        var scope = ContinuationTokens.Scope("progress", operationId, filter, stalledAfter);
        var (segment, after) = ContinuationTokens.Parse(scope, continuationToken, StorageKeys.Buckets * filter.RangeCount);
        await tableReady.EnsureAsync().ConfigureAwait(false);
        var task = await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            return null;
        }

        var cutoff = Cutoff(stalledAfter);
        var countsTask = SummarizeAsync(task, stalledAfter, cutoff, cancellationToken);
        var (rows, next) = await ReadPageAsync(operationId, filter, cutoff, pageSize, segment, after, scope, cancellationToken)
            .ConfigureAwait(false);
        var summary = await countsTask.ConfigureAwait(false);
        return new TaskProgress(summary, options.FailureRateThreshold, options.FailureRateMinSettled, rows, next);
    }

    public async Task<SubTaskPage?> ListSubTasksAsync(string operationId, SubTaskFilter filter, int pageSize, string? continuationToken,
        TimeSpan stalledAfter, CancellationToken cancellationToken)
    {
        var scope = ContinuationTokens.Scope("subtasks", operationId, filter, stalledAfter);
        var (segment, after) = ContinuationTokens.Parse(scope, continuationToken, StorageKeys.Buckets * filter.RangeCount);
        await tableReady.EnsureAsync().ConfigureAwait(false);
        if (await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false) is not { } task)
        {
            return null;
        }

        var (rows, next) = filter.Name == FailedPhase
            ? await ReadFailedPageAsync(task, filter, pageSize, segment, after, scope, cancellationToken).ConfigureAwait(false)
            : await ReadPageAsync(operationId, filter, Cutoff(stalledAfter), pageSize, segment, after, scope, cancellationToken)
                .ConfigureAwait(false);
        return new SubTaskPage(operationId, filter.Name, UpgradeStateStore.Iso(stalledAfter), rows, next) { ErrorCode = filter.ErrorCode };
    }

    public Task<TaskList> ListTasksAsync(int pageSize, string? continuationToken, TimeSpan stalledAfter, CancellationToken cancellationToken) =>
        ListActivityAsync(ContinuationTokens.Scope("tasks", "", SubTaskFilter.All, TimeSpan.Zero), StorageKeys.TaskActivityEnd, pageSize,
            continuationToken, stalledAfter, cancellationToken);

    /// <summary>
    /// The tasks active since <paramref name="since"/>, most recent first, each with its counts: the read covers only
    /// their activity rows and stops at the first row older than <paramref name="since"/>, however many tasks are older.
    /// </summary>
    public Task<TaskList> ListTasksActiveSinceAsync(DateTimeOffset since, int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken) =>
        ListActivityAsync(
            ContinuationTokens.Scope("tasks-since", since.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture), SubTaskFilter.All,
                TimeSpan.Zero),
            StorageKeys.TaskActivityBefore(since), pageSize, continuationToken, stalledAfter, cancellationToken);

    /// <summary>A page of the activity rows from the most recent up to <paramref name="stop"/>, each task with its counts.</summary>
    private async Task<TaskList> ListActivityAsync(string scope, string stop, int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken)
    {
        var (_, tableToken) = ContinuationTokens.Parse(scope, continuationToken, 1);
        await tableReady.EnsureAsync().ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {StorageKeys.TasksPartition} and RowKey ge {StorageKeys.TaskActivityPrefix} and RowKey lt {stop}");
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
        var pointers = new List<(string OperationId, string SubOperationId)>();
        await foreach (var pointer in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            pointers.Add((pointer.GetString("OperationId"), pointer.GetString("SubOperationId")));
        }

        // The sub-task rows are in other partitions: read at once, not one after another.
        var subTasks = new System.Collections.Concurrent.ConcurrentBag<SubTaskDetail>();
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = CounterReadParallelism, CancellationToken = cancellationToken },
            async (pointer, ct) =>
            {
                var entity = await table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TaskPartition(pointer.OperationId, pointer.SubOperationId),
                    StorageKeys.SubTaskRow(pointer.SubOperationId), cancellationToken: ct).ConfigureAwait(false);
                if (entity.HasValue)
                {
                    subTasks.Add(SubTaskDetail.From(StateEntities.ToState(entity.Value!)));
                }
            }).ConfigureAwait(false);

        return subTasks.IsEmpty
            ? null
            : new DeviceUpgrades(deviceId, [.. subTasks.OrderBy(s => s.FirstUpdate).ThenBy(s => s.OperationId, StringComparer.Ordinal).ThenBy(s => s.SubOperationId, StringComparer.Ordinal)]);
    }

    /// <summary>Sums the task's counter rows: one per shard of each bucket.</summary>
    internal async Task<TaskSummary> SummarizeAsync(TaskRecord task, TimeSpan stalledAfter, long cutoffTicks, CancellationToken cancellationToken)
    {
        var phases = UpgradePhases.Names.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        var stalled = 0;
        var gate = new object();
        var cutoffMinute = cutoffTicks / TimeSpan.TicksPerMinute;
        await ReadCountersAsync(task, shard =>
        {
            var before = shard.ActiveBefore(cutoffMinute);
            lock (gate)
            {
                foreach (var (phase, count) in shard.Phases)
                {
                    phases[phase] += count;
                }

                stalled += before;
            }
        }, cancellationToken).ConfigureAwait(false);

        var total = phases.Values.Sum();
        var settled = phases[UpgradePhase.Succeeded.Name()] + phases[UpgradePhase.Failed.Name()];
        double? failureRate = settled == 0 ? null : Math.Round((double)phases[UpgradePhase.Failed.Name()] / settled, 4);
        var alert = settled >= options.FailureRateMinSettled && failureRate > options.FailureRateThreshold;
        return new TaskSummary(task.OperationId, task.Kind, task.FirstUpdate, task.LastUpdate, total, phases, total - settled, settled,
            stalled, UpgradeStateStore.Iso(stalledAfter), failureRate, alert);
    }

    /// <summary>Reads the task's counter rows, one per shard of each bucket, 32 in parallel; <paramref name="visit"/> may run concurrently.</summary>
    internal async Task ReadCountersAsync(TaskRecord task, Action<CounterShard> visit, CancellationToken cancellationToken)
    {
        var keys = Enumerable.Range(0, StorageKeys.Buckets)
            .SelectMany(b => Enumerable.Range(0, task.Shards).Select(s => (Partition: StorageKeys.TaskPartition(task.OperationId, b), Row: StorageKeys.CounterRow(s))));
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = CounterReadParallelism, CancellationToken = cancellationToken },
            async (key, ct) =>
            {
                var read = await table.GetEntityIfExistsAsync<TableEntity>(key.Partition, key.Row, cancellationToken: ct).ConfigureAwait(false);
                if (read.HasValue)
                {
                    visit(CounterShard.From(read.Value!));
                }
            }).ConfigureAwait(false);
    }

    /// <summary>
    /// Fills a page from the filter's key ranges (segments) in a stable order: bucket after bucket, and within a bucket
    /// range after range. It reads windows of segments at once, the first window one segment, each next one twice as many
    /// (up to <see cref="PageFanOut"/>): a dense list is one query, as before, and a sparse filter reaches every bucket in
    /// a handful of rounds instead of one round per bucket, without asking 32 partitions for a page the first one fills.
    /// In a window the first segment is asked for all the page still needs, each other for twice an even share of it, and
    /// what was read is kept: a segment that gave all it was asked for may hold more, so the next round asks again (in
    /// parallel) only those, each for twice as much, resuming after the last row key read. Rows are taken in order, so
    /// the token (segment, last row key taken) resumes exactly: each row comes once.
    /// </summary>
    private async Task<(List<SubTaskRow> Rows, string? Next)> ReadPageAsync(string operationId, SubTaskFilter filter, long cutoffTicks,
        int pageSize, int segment, string? after, string scope, CancellationToken cancellationToken)
    {
        var ranges = filter.Ranges(cutoffTicks);
        var segments = StorageKeys.Buckets * ranges.Count;
        var rows = new List<SubTaskRow>();
        var fanOut = 1;
        while (segment < segments && rows.Count < pageSize)
        {
            // One window: its segments' rows read so far, whether each is known to be complete, and where each goes on.
            var window = Math.Min(fanOut, segments - segment);
            fanOut = Math.Min(fanOut * 2, PageFanOut);
            var read = new List<TableEntity>[window];
            var complete = new bool[window];
            var asked = new int[window];
            var taken = 0; // rows of read[current] already on the page
            var current = 0;
            // Twice the even share: a sparse filter's segments, a few rows each, are then mostly read whole in the first round.
            var share = 2 * Math.Max(1, (pageSize - rows.Count + window - 1) / window);
            for (var i = 0; i < window; i++)
            {
                read[i] = [];
            }

            while (current < window && rows.Count < pageSize)
            {
                var needed = pageSize - rows.Count;
                var fetches = new List<Task>();
                for (var i = current; i < window; i++)
                {
                    if (complete[i] || read[i].Count - (i == current ? taken : 0) > 0 && i == current)
                    {
                        continue;
                    }

                    var index = i;
                    var take = index == current ? needed : Math.Min(needed, asked[index] == 0 ? share : asked[index] * 2);
                    var start = read[index].Count > 0 ? read[index][^1].RowKey : index == 0 ? after : null;
                    asked[index] = take;
                    fetches.Add(ReadSegmentAsync(operationId, filter, ranges, segment + index, start, take, cancellationToken)
                        .ContinueWith(t =>
                        {
                            var (more, done) = t.GetAwaiter().GetResult();
                            read[index].AddRange(more);
                            complete[index] = done;
                        }, cancellationToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
                }

                await Task.WhenAll(fetches).ConfigureAwait(false);

                // Take rows in order while the segment being taken is known: complete, or still holding rows not taken.
                while (current < window && rows.Count < pageSize)
                {
                    var available = read[current].Count - taken;
                    var count = Math.Min(available, pageSize - rows.Count);
                    rows.AddRange(read[current].Skip(taken).Take(count).Select(e => StateEntities.ToRow(e, cutoffTicks)));
                    taken += count;
                    if (taken < read[current].Count || !complete[current])
                    {
                        break;
                    }

                    current++;
                    taken = 0;
                }
            }

            if (current < window)
            {
                // The page is full inside this segment: the next page resumes after the last row taken.
                after = taken > 0 ? read[current][taken - 1].RowKey : current == 0 ? after : null;
                segment += current;
                break;
            }

            segment += window;
            after = null;
        }

        return (rows, segment < segments ? ContinuationTokens.Format(scope, segment, after) : null);
    }

    /// <summary>
    /// A page of the failed sub-tasks: the buckets' failed lists are read at once (with their counter rows, which say
    /// whether each list is kept), and a bucket is taken from its list when it is, from its failed index rows otherwise
    /// (the bucket was filled by an earlier version, or has too many failures for a list). The order and the token are
    /// those of <see cref="ReadPageAsync"/>: the failed filter has one range per bucket, so a segment is a bucket, and a
    /// list is in row key order.
    /// </summary>
    private async Task<(List<SubTaskRow> Rows, string? Next)> ReadFailedPageAsync(TaskRecord task, SubTaskFilter filter, int pageSize,
        int segment, string? after, string scope, CancellationToken cancellationToken)
    {
        var lists = new FailedList?[StorageKeys.Buckets];
        await Parallel.ForEachAsync(Enumerable.Range(segment, StorageKeys.Buckets - segment),
            new ParallelOptions { MaxDegreeOfParallelism = CounterReadParallelism, CancellationToken = cancellationToken },
            async (bucket, ct) => lists[bucket] = await ReadKeptListAsync(task, bucket, ct).ConfigureAwait(false)).ConfigureAwait(false);
        if (lists.All(list => list is null))
        {
            // A task an earlier version filled: its buckets are read in windows, as any filter's.
            return await ReadPageAsync(task.OperationId, filter, 0, pageSize, segment, after, scope, cancellationToken).ConfigureAwait(false);
        }

        var ranges = filter.Ranges(0);
        var rows = new List<SubTaskRow>();
        for (var bucket = segment; bucket < StorageKeys.Buckets; bucket++)
        {
            var start = bucket == segment ? after : null;
            if (lists[bucket] is { } list)
            {
                foreach (var listed in list.Rows)
                {
                    if ((start is not null && string.CompareOrdinal(listed.Key, start) <= 0) ||
                        (filter.ErrorCode is not null && listed.ErrorCode != filter.ErrorCode))
                    {
                        continue;
                    }

                    if (rows.Count == pageSize)
                    {
                        return (rows, ContinuationTokens.Format(scope, bucket, start));
                    }

                    rows.Add(listed.ToRow());
                    start = listed.Key;
                }
            }
            else
            {
                var (read, complete) = await ReadSegmentAsync(task.OperationId, filter, ranges, bucket, start, pageSize - rows.Count,
                    cancellationToken).ConfigureAwait(false);
                rows.AddRange(read.Select(e => StateEntities.ToRow(e, 0)));
                if (!complete)
                {
                    return (rows, ContinuationTokens.Format(scope, bucket, read[^1].RowKey));
                }
            }

            if (rows.Count == pageSize)
            {
                return (rows, bucket + 1 < StorageKeys.Buckets ? ContinuationTokens.Format(scope, bucket + 1, null) : null);
            }
        }

        return (rows, null);
    }

    /// <summary>The bucket's failed list when every counter row of the bucket says it is kept and it has not overflowed; else null.</summary>
    internal async Task<FailedList?> ReadKeptListAsync(TaskRecord task, int bucket, CancellationToken cancellationToken)
    {
        var partition = StorageKeys.TaskPartition(task.OperationId, bucket);
        var counters = Task.WhenAll(Enumerable.Range(0, task.Shards)
            .Select(s => table.GetEntityIfExistsAsync<TableEntity>(partition, StorageKeys.CounterRow(s), cancellationToken: cancellationToken)));
        var listRead = table.GetEntityIfExistsAsync<TableEntity>(partition, FailedList.Row, cancellationToken: cancellationToken);
        await Task.WhenAll(counters, listRead).ConfigureAwait(false);
        if ((await counters.ConfigureAwait(false)).Any(read => !read.HasValue || !CounterShard.From(read.Value!).KeepsFailedList))
        {
            return null;
        }

        var list = await listRead.ConfigureAwait(false);
        var kept = list.HasValue ? FailedList.From(list.Value!) : new FailedList();
        return kept.Overflowed ? null : kept;
    }

    /// <summary>Up to <paramref name="take"/> index rows of one segment after the key <paramref name="after"/>; complete when the segment holds no more.</summary>
    private async Task<(List<TableEntity> Rows, bool Complete)> ReadSegmentAsync(string operationId, SubTaskFilter filter,
        IReadOnlyList<(string Start, string Stop)> ranges, int segment, string? after, int take, CancellationToken cancellationToken)
    {
        var partition = StorageKeys.TaskPartition(operationId, segment / ranges.Count);
        var (start, stop) = ranges[segment % ranges.Count];
        var query = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (RowKey ge {start} and RowKey lt {stop})");
        if (after is not null)
        {
            query += " and " + TableClient.CreateQueryFilter($"RowKey gt {after}");
        }

        if (filter.ColumnCondition is { } condition)
        {
            query += " and " + condition;
        }

        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(query, Math.Min(take, MaxQueryPage), PageColumns, cancellationToken)
                           .ConfigureAwait(false))
        {
            rows.Add(row);
            if (rows.Count == take)
            {
                return (rows, false);
            }
        }

        return (rows, true);
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
