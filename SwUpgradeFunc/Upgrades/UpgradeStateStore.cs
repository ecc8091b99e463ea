using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The continuation token of a task query is not one this API issued for that task.</summary>
public sealed class InvalidContinuationTokenException(string message) : FormatException(message);

/// <summary>
/// Sub-task state in Azure Table Storage, with the counter and index rows that make a task's progress and its filtered
/// lists cost the same at any fleet size (docs/design.md). Every push is one entity-group transaction in the
/// sub-task's bucket partition: the sub-task row (conditional on its ETag), its shard's counter row (conditional on its
/// ETag, only when what it counts changes) and the sub-task's phase and active index rows; any conflict fails the whole
/// transaction, which is then recomputed from fresh reads. The last written sub-task and counter rows are kept in
/// memory with their ETags: a stale entry costs a 412 and a re-read, never a lost update.
/// </summary>
public sealed class UpgradeStateStore : IDisposable
{
    public const int MaxAttempts = 50;

    /// <summary>Sub-tasks whose last written state is kept in memory (about 2-20 KB each).</summary>
    public const int CachedSubTasks = 20_000;

    /// <summary>Counter rows kept in memory (128 per task; a few KB each at most).</summary>
    private const int CachedCounters = 10_000;

    /// <summary>Legacy sub-tasks indexed per transaction while migrating a bucket: 3 operations each, 100 at most.</summary>
    private const int MigrationChunk = 50;

    /// <summary>Parallel point reads of one task's counter rows (32 buckets x 4 shards).</summary>
    private const int CounterReadParallelism = 32;

    private static readonly string[] SummaryColumns =
    [
        "DeviceId", "SubOperationId", "Kind", "Phase", "LastState", "Result", "ErrorCode", "ResultDesc", "SourceVersion",
        "TargetVersion", "CurVersion", "FirstUpdate", "LastUpdate",
    ];

    private static readonly string[] TaskColumns = ["OperationId", "Kind", "FirstUpdate", "LastUpdate", "CounterShards"];

    /// <summary>The task row's last activity is written at most once per this span per instance.</summary>
    public static readonly TimeSpan ActivityPrecision = TimeSpan.FromMinutes(1);

    private readonly TableClient _table;
    private readonly UpgradesOptions _options;
    private readonly TimeProvider _time;
    private readonly Lazy<Task> _tableReady;
    private readonly MemoryCache _written = new(new MemoryCacheOptions { SizeLimit = CachedSubTasks });
    private readonly MemoryCache _counters = new(new MemoryCacheOptions { SizeLimit = CachedCounters });
    private readonly SemaphoreSlim[] _shardGates = [.. Enumerable.Range(0, 1024).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly ConcurrentDictionary<string, Lazy<Task<TaskRecord?>>> _taskSetup = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskRecord> _tasks = new(StringComparer.Ordinal);

    public UpgradeStateStore(TableServiceClient service, IOptions<UpgradesOptions> options, TimeProvider? time = null)
    {
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _table = service.GetTableClient(_options.TableName);
        _tableReady = new Lazy<Task>(EnsureTableAsync);
    }

    public TimeSpan DefaultStalledAfter => TimeSpan.FromMinutes(_options.StalledAfterMinutes);

    public void Dispose()
    {
        _written.Dispose();
        _counters.Dispose();
        foreach (var gate in _shardGates)
        {
            gate.Dispose();
        }
    }

    public async Task<Transition> ApplyAsync(Notifications.NotificationEnvelope envelope, CancellationToken cancellationToken)
    {
        await _tableReady.Value.ConfigureAwait(false);
        var n = envelope.Notification;
        var task = await EnsureTaskAsync(n.OperationId, envelope, cancellationToken).ConfigureAwait(false);
        var partition = StorageKeys.TaskPartition(n.OperationId, n.SubOperationId);
        var row = StorageKeys.SubTaskRow(n.SubOperationId);
        var shards = task?.Shards ?? StorageKeys.CounterShards;
        var counterRow = StorageKeys.CounterRow(StorageKeys.ShardOf(n.SubOperationId, shards));
        var cacheKey = partition + "\n" + row;
        var counterKey = partition + "\n" + counterRow;
        var indexed = false;

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
                    var read = await _table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                    current = read.HasValue ? read.Value : null;
                }

                if (current is null && !indexed)
                {
                    // Before the sub-task exists, so that a crash between the two leaves an index row, never an unindexed sub-task.
                    await _table.UpsertEntityAsync(DeviceIndexEntity(n.DeviceId, n.OperationId, n.SubOperationId),
                        TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                    indexed = true;
                }

                var counter = await ReadCounterAsync(n.OperationId, shards, partition, counterRow, counterKey, cancellationToken)
                    .ConfigureAwait(false);
                var before = current is null ? (CountedState?)null : CountedState.Of(current);
                var oldIndexRows = current is null ? [] : IndexRowsOf(current, before!.Value, n.SubOperationId);

                transition = UpgradeStateMachine.Apply(current is null ? null : ToState(current), envelope, _options.HistoryLimit);
                var state = transition.State;
                var after = CountedState.Of(state);
                var indexRow = StorageKeys.IndexRow(after, n.SubOperationId);
                var entity = ToEntity(state, partition, row);
                entity[IndexKeyColumn] = indexRow;

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

                // The index row moves with the counts (its key holds what they count) and is rewritten in place otherwise;
                // a duplicate leaves it alone, unless it still has a key of the earlier layout.
                var moved = oldIndexRows.Any(old => old != indexRow);
                if (!transition.IsDuplicate || moved)
                {
                    foreach (var old in oldIndexRows.Where(old => old != indexRow))
                    {
                        actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, old), ETag.All));
                    }

                    actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, IndexEntity(partition, indexRow, state)));
                }

                try
                {
                    var responses = (await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false)).Value;
                    entity.ETag = responses[0].Headers.ETag ?? default;
                    _written.Set(cacheKey, entity, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(15) });
                    if (counterChanged)
                    {
                        nextCounter.ETag = responses[1].Headers.ETag ?? default;
                        _counters.Set(counterKey, nextCounter, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(15) });
                    }

                    break;
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
                {
                    // Another processor wrote the sub-task or the counter row since we read them: read both again.
                    _written.Remove(cacheKey);
                    _counters.Remove(counterKey);
                    await Task.Delay(Random.Shared.Next(5, 20 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            gate.Release();
        }

        await TouchTaskAsync(task, envelope.ReceivedAt, cancellationToken).ConfigureAwait(false);
        return transition;
    }

    /// <summary>The sub-task row's column that holds the key of its index row.</summary>
    private const string IndexKeyColumn = "IndexKey";

    /// <summary>
    /// The index rows that exist for a sub-task row: the one it records, or for a row written before it recorded one, the
    /// phase and active index rows of that layout (<c>p|{phase}|{sub}</c>, and the key in <c>ActiveKey</c> if any).
    /// </summary>
    private static string[] IndexRowsOf(TableEntity subTaskRow, CountedState counted, string subOperationId)
    {
        if (subTaskRow.GetString(IndexKeyColumn) is { } key)
        {
            return [key];
        }

        var phaseRow = $"{StorageKeys.PhaseIndexStart(counted.Phase)}{StorageKeys.Escape(subOperationId)}";
        return subTaskRow.GetString("ActiveKey") is { } active ? [phaseRow, active] : [phaseRow];
    }

    private async Task<CounterShard> ReadCounterAsync(string operationId, int shards, string partition, string counterRow, string counterKey,
        CancellationToken cancellationToken)
    {
        if (_counters.TryGetValue(counterKey, out CounterShard? cached) && cached is not null)
        {
            return cached;
        }

        for (var attempt = 1; ; attempt++)
        {
            var read = await _table.GetEntityIfExistsAsync<TableEntity>(partition, counterRow, cancellationToken: cancellationToken)
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
            await MigrateBucketAsync(operationId, int.Parse(partition[^2..], CultureInfo.InvariantCulture), shards, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>The task row (created with the task's first push, or when a task written by an earlier version is first met).</summary>
    private async Task<TaskRecord?> EnsureTaskAsync(string operationId, Notifications.NotificationEnvelope? envelope,
        CancellationToken cancellationToken)
    {
        if (_tasks.TryGetValue(operationId, out var known))
        {
            return known;
        }

        var setup = _taskSetup.GetOrAdd(operationId, op => new Lazy<Task<TaskRecord?>>(() => SetUpTaskAsync(op, envelope)));
        try
        {
            var record = await setup.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (record is null && envelope is not null)
            {
                // A read found nothing to set up while this push was waiting on it: set the task up for the push.
                record = await SetUpTaskAsync(operationId, envelope).ConfigureAwait(false);
            }

            if (record is not null)
            {
                _tasks[operationId] = record;
            }

            return record;
        }
        finally
        {
            if (setup.Value.IsCompleted)
            {
                _taskSetup.TryRemove(new KeyValuePair<string, Lazy<Task<TaskRecord?>>>(operationId, setup));
            }
        }
    }

    /// <summary>
    /// Reads the task row; without one, sets up every bucket of the task (counting and indexing sub-tasks an earlier
    /// version wrote) and then adds the task row, which therefore exists only once every bucket has its counter rows.
    /// </summary>
    private async Task<TaskRecord?> SetUpTaskAsync(string operationId, Notifications.NotificationEnvelope? envelope)
    {
        var cancellationToken = CancellationToken.None;
        for (var attempt = 1; ; attempt++)
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskRow(operationId),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (existing.HasValue)
            {
                return TaskRecord.From(existing.Value!);
            }

            if (envelope is null && !await HasSubTaskRowsAsync(operationId, cancellationToken).ConfigureAwait(false))
            {
                // A read of a task nobody pushed: nothing to set up, nothing written.
                return null;
            }

            var legacy = new LegacyTotals();
            await Parallel.ForEachAsync(Enumerable.Range(0, StorageKeys.Buckets), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (bucket, ct) => legacy.Add(await MigrateBucketAsync(operationId, bucket, StorageKeys.CounterShards, ct).ConfigureAwait(false)))
                .ConfigureAwait(false);

            if (legacy.Count == 0 && envelope is null)
            {
                return null;
            }

            var first = Min(legacy.FirstUpdate, envelope?.ReceivedAt);
            var last = Max(legacy.LastUpdate, envelope?.ReceivedAt);
            var record = new TaskRecord(operationId, legacy.Kind ?? KindOf(envelope!), first, last, default, StorageKeys.CounterShards);
            var activity = StorageKeys.TaskActivityRow(last, operationId);
            try
            {
                var responses = (await _table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Add, record.ToEntity(activity)),
                    new TableTransactionAction(TableTransactionActionType.UpsertReplace, record.ToActivityEntity(activity)),
                ], cancellationToken).ConfigureAwait(false)).Value;
                return record with { ETag = responses[0].Headers.ETag ?? default, ActivityKey = activity };
            }
            catch (RequestFailedException ex) when (ex.Status == 409 && attempt < MaxAttempts)
            {
                // Another processor added it first: read it.
            }
        }
    }

    private static string KindOf(Notifications.NotificationEnvelope envelope) =>
        envelope.NotifyType is Notifications.NotifyTypes.FwUpgradeStateChange or Notifications.NotifyTypes.FwUpgradeResult
            ? "firmware"
            : "software";

    /// <summary>
    /// Keeps the task's first and last update, the last one coarse-grained (<see cref="ActivityPrecision"/>) so that a
    /// busy task does not turn its task row into a hot spot.
    /// </summary>
    private async Task TouchTaskAsync(TaskRecord? task, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (task is null)
        {
            return;
        }

        var record = _tasks.GetValueOrDefault(task.OperationId, task);
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
                var responses = (await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false)).Value;
                _tasks[record.OperationId] = updated with { ETag = responses[0].Headers.ETag ?? default, ActivityKey = newActivity };
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                var read = await _table.GetEntityAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskRow(record.OperationId),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                record = TaskRecord.From(read.Value);
                _tasks[record.OperationId] = record;
            }
        }
    }

    /// <summary>
    /// Gives a bucket its counter rows if it has none: counts and indexes the sub-task rows already there (written by a
    /// version without counters), each index write conditional on the sub-task row's ETag, then adds all the shard
    /// counter rows in one transaction. Until that transaction, no writer of this version touches the bucket's sub-task
    /// rows (they all wait for the counter rows), so the counts are exact; a conflict starts the bucket over.
    /// </summary>
    private async Task<LegacyTotals> MigrateBucketAsync(string operationId, int bucket, int shardCount, CancellationToken cancellationToken)
    {
        var partition = StorageKeys.TaskPartition(operationId, bucket);
        for (var attempt = 1; ; attempt++)
        {
            var totals = new LegacyTotals();
            var marker = await _table.GetEntityIfExistsAsync<TableEntity>(partition, StorageKeys.CounterRow(0), ["PartitionKey"],
                cancellationToken).ConfigureAwait(false);
            if (marker.HasValue)
            {
                return totals;
            }

            var shards = Enumerable.Range(0, shardCount).Select(_ => new CounterShard()).ToArray();
            var pending = new List<TableTransactionAction>();
            try
            {
                var filter = TableClient.CreateQueryFilter(
                    $"PartitionKey eq {partition} and RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd}");
                await foreach (var row in _table.QueryAsync<TableEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    var state = ToState(row);
                    var counted = CountedState.Of(state);
                    shards[StorageKeys.ShardOf(state.SubOperationId, shardCount)].Add(counted, +1);
                    totals.Add(state);
                    var indexRow = StorageKeys.IndexRow(counted, state.SubOperationId);
                    pending.Add(new TableTransactionAction(TableTransactionActionType.UpdateMerge,
                        new TableEntity(partition, row.RowKey) { [IndexKeyColumn] = indexRow }, row.ETag));
                    pending.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, IndexEntity(partition, indexRow, state)));
                    if (pending.Count >= MigrationChunk * 2)
                    {
                        await _table.SubmitTransactionAsync(pending, cancellationToken).ConfigureAwait(false);
                        pending.Clear();
                    }
                }

                if (pending.Count > 0)
                {
                    await _table.SubmitTransactionAsync(pending, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another instance is setting up the same bucket (or has just finished): look again.
                await Task.Delay(Random.Shared.Next(5, 50), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await _table.SubmitTransactionAsync(shards.Select((shard, i) => new TableTransactionAction(TableTransactionActionType.Add,
                    shard.ToEntity(partition, StorageKeys.CounterRow(i)))), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // Another instance added them from the same rows.
            }

            return totals;
        }
    }

    /// <summary>Whether an earlier version left sub-task rows of the task (one row at most per bucket is read).</summary>
    private async Task<bool> HasSubTaskRowsAsync(string operationId, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(Enumerable.Range(0, StorageKeys.Buckets).Select(async bucket =>
        {
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {StorageKeys.TaskPartition(operationId, bucket)} and RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd}");
            await foreach (var page in _table.QueryAsync<TableEntity>(filter, 1, ["PartitionKey"], cancellationToken).AsPages(pageSizeHint: 1)
                               .ConfigureAwait(false))
            {
                return page.Values.Count > 0;
            }

            return false;
        })).ConfigureAwait(false);
        return found.Any(f => f);
    }


    /// <summary>One task's progress: counts from its counter rows, one page of its sub-tasks; null for an unknown task.</summary>
    public async Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken,
        CancellationToken cancellationToken) =>
        await GetTaskAsync(operationId, pageSize, continuationToken, DefaultStalledAfter, cancellationToken).ConfigureAwait(false);

    public async Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken)
    {
        var filter = SubTaskFilter.All;
        var scope = Scope("progress", operationId, filter, stalledAfter);
        var (segment, tableToken) = ParseToken(scope, continuationToken, StorageKeys.Buckets * filter.RangeCount);
        await _tableReady.Value.ConfigureAwait(false);
        var task = await ReadTaskAsync(operationId, cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            return null;
        }

        var cutoff = Cutoff(stalledAfter);
        var countsTask = SummarizeAsync(task, stalledAfter, cutoff, cancellationToken);
        var (rows, next) = await ReadPageAsync(operationId, filter, cutoff, pageSize, segment, tableToken, scope, cancellationToken)
            .ConfigureAwait(false);
        var s = await countsTask.ConfigureAwait(false);
        return new TaskProgress(s.OperationId, s.Kind, s.FirstUpdate, s.LastUpdate, s.Total, s.Phases, s.Active, s.Settled,
            s.Stalled, s.StalledAfter, s.FailureRate, s.Alert, _options.FailureRateThreshold, _options.FailureRateMinSettled, rows, next);
    }

    /// <summary>One page of a task's sub-tasks, filtered by phase, <c>active</c> or <c>stalled</c>; null for an unknown task.</summary>
    public async Task<SubTaskPage?> ListSubTasksAsync(string operationId, SubTaskFilter filter, int pageSize, string? continuationToken,
        TimeSpan stalledAfter, CancellationToken cancellationToken)
    {
        var scope = Scope("subtasks", operationId, filter, stalledAfter);
        var (segment, tableToken) = ParseToken(scope, continuationToken, StorageKeys.Buckets * filter.RangeCount);
        await _tableReady.Value.ConfigureAwait(false);
        if (await ReadTaskAsync(operationId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var (rows, next) = await ReadPageAsync(operationId, filter, Cutoff(stalledAfter), pageSize, segment, tableToken, scope,
            cancellationToken).ConfigureAwait(false);
        return new SubTaskPage(operationId, filter.Name, Iso(stalledAfter), rows, next);
    }

    /// <summary>The tasks, most recent activity first, each with its counts.</summary>
    public async Task<TaskList> ListTasksAsync(int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken)
    {
        var scope = Scope("tasks", "", SubTaskFilter.All, TimeSpan.Zero);
        var (_, tableToken) = ParseToken(scope, continuationToken, 1);
        await _tableReady.Value.ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {StorageKeys.TasksPartition} and RowKey ge {StorageKeys.TaskActivityPrefix} and RowKey lt {StorageKeys.TaskActivityEnd}");
        var page = await FirstPageAsync(filter, TaskColumns, pageSize, tableToken, cancellationToken).ConfigureAwait(false);
        var cutoff = Cutoff(stalledAfter);
        var tasks = new List<TaskSummary>();
        foreach (var entity in page?.Values ?? [])
        {
            tasks.Add(await SummarizeAsync(TaskRecord.From(entity), stalledAfter, cutoff, cancellationToken).ConfigureAwait(false));
        }

        return new TaskList(tasks, page?.ContinuationToken is { } more ? FormatToken(scope, 0, more) : null);
    }

    /// <summary>The task row, setting the task up first if only an earlier version wrote it (once; later reads find the row).</summary>
    private async Task<TaskRecord?> ReadTaskAsync(string operationId, CancellationToken cancellationToken)
    {
        var read = await _table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.TaskRow(operationId),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return read.HasValue
            ? TaskRecord.From(read.Value!)
            : await EnsureTaskAsync(operationId, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sums the task's 128 counter rows (point reads, whatever the task's size).</summary>
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
                var read = await _table.GetEntityIfExistsAsync<TableEntity>(key.Partition, key.Row, cancellationToken: ct).ConfigureAwait(false);
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
        var alert = settled >= _options.FailureRateMinSettled && failureRate > _options.FailureRateThreshold;
        return new TaskSummary(task.OperationId, task.Kind, task.FirstUpdate, task.LastUpdate, total, phases, total - settled, settled,
            stalled, Iso(stalledAfter), failureRate, alert);
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
            var page = await FirstPageAsync(query, SummaryColumns, pageSize - rows.Count, tableToken, cancellationToken).ConfigureAwait(false);
            rows.AddRange(page?.Values.Select(e => ToRow(e, cutoffTicks)) ?? []);
            if (page?.ContinuationToken is { } more)
            {
                tableToken = more;
            }
            else
            {
                segment++;
                tableToken = null;
            }

            next = segment < segments ? FormatToken(scope, segment, tableToken) : null;
        }

        return (rows, next);
    }

    private async Task<Page<TableEntity>?> FirstPageAsync(string filter, string[] columns, int pageSize, string? tableToken,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var page in _table.QueryAsync<TableEntity>(filter, pageSize, columns, cancellationToken)
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
        var ticks = (_time.GetUtcNow() - stalledAfter).UtcTicks;
        return ticks - (ticks % TimeSpan.TicksPerMinute);
    }

    public static string Iso(TimeSpan duration) => System.Xml.XmlConvert.ToString(duration);

    private static SubTaskRow ToRow(TableEntity e, long cutoffTicks)
    {
        var phase = e.GetString("Phase") ?? UpgradePhases.None;
        var lastUpdate = e.GetDateTimeOffset("LastUpdate") ?? default;
        var active = UpgradePhases.Parse(phase)?.IsSettled() != true;
        return new SubTaskRow(e.GetString("DeviceId"), e.GetString("SubOperationId"), e.GetString("Kind"), phase, e.GetString("LastState"),
            e.GetString("Result"), e.GetString("ErrorCode"), e.GetString("ResultDesc"), e.GetString("SourceVersion"),
            e.GetString("TargetVersion"), e.GetString("CurVersion"), e.GetDateTimeOffset("FirstUpdate") ?? default, lastUpdate,
            active && lastUpdate.UtcTicks < cutoffTicks);
    }

    /// <summary>
    /// Every row this store keeps for a task of the given sub-task states, as its transactions would leave them (for
    /// seeding large tables quickly in benchmarks; write them in batches per partition).
    /// </summary>
    internal static IEnumerable<TableEntity> RowsOf(string operationId, IReadOnlyList<SubTaskState> states)
    {
        var shards = new Dictionary<(int Bucket, int Shard), CounterShard>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            for (var k = 0; k < StorageKeys.CounterShards; k++)
            {
                shards[(b, k)] = new CounterShard();
            }
        }

        foreach (var state in states)
        {
            var partition = StorageKeys.TaskPartition(operationId, state.SubOperationId);
            var counted = CountedState.Of(state);
            shards[(StorageKeys.BucketOf(state.SubOperationId), StorageKeys.ShardOf(state.SubOperationId, StorageKeys.CounterShards))].Add(counted, +1);
            var indexRow = StorageKeys.IndexRow(counted, state.SubOperationId);
            var entity = ToEntity(state, partition, StorageKeys.SubTaskRow(state.SubOperationId));
            entity[IndexKeyColumn] = indexRow;
            yield return entity;
            yield return IndexEntity(partition, indexRow, state);
        }

        foreach (var ((bucket, shard), counter) in shards)
        {
            yield return counter.ToEntity(StorageKeys.TaskPartition(operationId, bucket), StorageKeys.CounterRow(shard));
        }

        var task = new TaskRecord(operationId, states[0].Kind, states.Min(s => s.FirstUpdate), states.Max(s => s.LastUpdate), default,
            StorageKeys.CounterShards);
        var activity = StorageKeys.TaskActivityRow(task.LastUpdate, operationId);
        yield return task.ToEntity(activity);
        yield return task.ToActivityEntity(activity);
    }

    /// <summary>A phase or active index row: the columns the lists and the CSV show, so that they never read a sub-task row.</summary>
    private static TableEntity IndexEntity(string partition, string row, SubTaskState s) => new(partition, row)
    {
        ["DeviceId"] = s.DeviceId,
        ["SubOperationId"] = s.SubOperationId,
        ["Kind"] = s.Kind,
        ["Phase"] = s.Phase.NameOrNone(),
        ["LastState"] = s.LastState,
        ["Result"] = s.Result,
        ["ErrorCode"] = s.ErrorCode,
        ["ResultDesc"] = s.ResultDesc,
        ["SourceVersion"] = s.SourceVersion,
        ["TargetVersion"] = s.TargetVersion,
        ["CurVersion"] = s.CurVersion,
        ["FirstUpdate"] = s.FirstUpdate,
        ["LastUpdate"] = s.LastUpdate,
    };

    private static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b!.Value : b is null ? a.Value : a < b ? a.Value : b.Value;

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b!.Value : b is null ? a.Value : a > b ? a.Value : b.Value;

    public async Task<DeviceUpgrades?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        await _tableReady.Value.ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageKeys.DevicePartition(deviceId)}");
        var subTasks = new List<SubTaskDetail>();
        await foreach (var pointer in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var operationId = pointer.GetString("OperationId");
            var subOperationId = pointer.GetString("SubOperationId");
            var entity = await _table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TaskPartition(operationId, subOperationId),
                StorageKeys.SubTaskRow(subOperationId), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entity.HasValue)
            {
                subTasks.Add(SubTaskDetail.From(ToState(entity.Value!)));
            }
        }

        return subTasks.Count == 0
            ? null
            : new DeviceUpgrades(deviceId, [.. subTasks.OrderBy(s => s.FirstUpdate).ThenBy(s => s.OperationId, StringComparer.Ordinal)]);
    }

    private async Task EnsureTableAsync()
    {
        try
        {
            await _table.CreateIfNotExistsAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // In Azure the template creates the table; an identity without the right to create it is fine.
        }
    }

    private static TableEntity DeviceIndexEntity(string deviceId, string operationId, string subOperationId) =>
        new(StorageKeys.DevicePartition(deviceId), StorageKeys.DeviceRow(operationId, subOperationId))
        {
            ["OperationId"] = operationId,
            ["SubOperationId"] = subOperationId,
        };

    internal static TableEntity ToEntity(SubTaskState s, string partition, string row) => new(partition, row)
    {
        ["OperationId"] = s.OperationId,
        ["SubOperationId"] = s.SubOperationId,
        ["DeviceId"] = s.DeviceId,
        ["AppId"] = s.AppId,
        ["Kind"] = s.Kind,
        ["Phase"] = s.Phase?.Name(),
        ["LastState"] = s.LastState,
        ["Result"] = s.Result,
        ["CurVersion"] = s.CurVersion,
        ["TargetVersion"] = s.TargetVersion,
        ["SourceVersion"] = s.SourceVersion,
        ["UpgradeTime"] = s.UpgradeTime,
        ["ResultDesc"] = s.ResultDesc,
        ["ErrorCode"] = s.ErrorCode,
        ["SettledAt"] = s.SettledAt,
        ["FirstUpdate"] = s.FirstUpdate,
        ["LastUpdate"] = s.LastUpdate,
        ["Duplicates"] = s.Duplicates,
        ["SkippedSteps"] = s.SkippedSteps,
        ["HistoryDropped"] = s.HistoryDropped,
        ["History"] = JsonSerializer.Serialize(s.History, UpgradesJsonContext.Default.ListHistoryEntry),
        ["Seen"] = JsonSerializer.Serialize(s.Seen, UpgradesJsonContext.Default.ListString),
    };

    internal static SubTaskState ToState(TableEntity e) => new()
    {
        OperationId = e.GetString("OperationId"),
        SubOperationId = e.GetString("SubOperationId"),
        DeviceId = e.GetString("DeviceId"),
        AppId = e.GetString("AppId"),
        Kind = e.GetString("Kind"),
        Phase = UpgradePhases.Parse(e.GetString("Phase")),
        LastState = e.GetString("LastState"),
        Result = e.GetString("Result"),
        CurVersion = e.GetString("CurVersion"),
        TargetVersion = e.GetString("TargetVersion"),
        SourceVersion = e.GetString("SourceVersion"),
        UpgradeTime = e.GetString("UpgradeTime"),
        ResultDesc = e.GetString("ResultDesc"),
        ErrorCode = e.GetString("ErrorCode"),
        SettledAt = e.GetDateTimeOffset("SettledAt"),
        FirstUpdate = e.GetDateTimeOffset("FirstUpdate") ?? default,
        LastUpdate = e.GetDateTimeOffset("LastUpdate") ?? default,
        Duplicates = e.GetInt32("Duplicates") ?? 0,
        SkippedSteps = e.GetBoolean("SkippedSteps") ?? false,
        HistoryDropped = e.GetInt32("HistoryDropped") ?? 0,
        History = JsonSerializer.Deserialize(e.GetString("History") ?? "[]", UpgradesJsonContext.Default.ListHistoryEntry) ?? [],
        Seen = JsonSerializer.Deserialize(e.GetString("Seen") ?? "[]", UpgradesJsonContext.Default.ListString) ?? [],
    };

    /// <summary>What a continuation token is bound to: the route, the task, the filter and the stalled threshold.</summary>
    private static string Scope(string route, string operationId, SubTaskFilter filter, TimeSpan stalledAfter) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{route}\n{operationId}\n{filter.Name}\n{stalledAfter.Ticks.ToString(CultureInfo.InvariantCulture)}")))[..24];

    /// <summary>Tokens say where the next page starts (segment: bucket and key range, and the table's own token) and what they belong to.</summary>
    private static string FormatToken(string scope, int segment, string? tableToken) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{TokenVersion}\n{scope}\n{segment.ToString(CultureInfo.InvariantCulture)}\n{tableToken}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Version 3: the number in a token counts segments (version 2 counted buckets, with other index rows).</summary>
    private const string TokenVersion = "3";

    private static (int Segment, string? TableToken) ParseToken(string scope, string? token, int segments)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (0, null);
        }

        string[] parts;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('\n');
        }
        catch (FormatException)
        {
            throw new InvalidContinuationTokenException("The continuation token is not valid.");
        }

        if (parts.Length != 4 || parts[0] != TokenVersion ||
            !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var segment) ||
            segment < 0 || segment >= segments)
        {
            throw new InvalidContinuationTokenException("The continuation token is not valid.");
        }

        if (parts[1] != scope)
        {
            throw new InvalidContinuationTokenException(
                "The continuation token belongs to another upgrade task, route or filter: pass it back unchanged with the query it came from.");
        }

        return (segment, parts[3].Length == 0 ? null : parts[3]);
    }

    /// <summary>The task row: what the list shows of a task besides its counts.</summary>
    private sealed record TaskRecord(string OperationId, string Kind, DateTimeOffset FirstUpdate, DateTimeOffset LastUpdate, ETag ETag,
        int Shards, string? ActivityKey = null)
    {
        public static TaskRecord From(TableEntity e) => new(e.GetString("OperationId"), e.GetString("Kind") ?? "software",
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

        public TableEntity ToActivityEntity(string activityRow) => new(StorageKeys.TasksPartition, activityRow)
        {
            ["OperationId"] = OperationId,
            ["Kind"] = Kind,
            ["FirstUpdate"] = FirstUpdate,
            ["LastUpdate"] = LastUpdate,
            ["CounterShards"] = Shards,
        };
    }

    /// <summary>What setting up buckets found of sub-tasks written by an earlier version, for the new task row.</summary>
    private sealed class LegacyTotals
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

        public void Add(LegacyTotals other)
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
}
