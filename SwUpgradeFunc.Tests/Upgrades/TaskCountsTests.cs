using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Events;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// The counter and index rows against a full recount of the sub-task rows, after random interleavings processed by two
/// processors (two stores, each with its own cache) on the same table, with duplicates, redeliveries and failed
/// publications; and state written by the previous version (sub-task rows only).
/// </summary>
public sealed class TaskCountsTests
{
    private readonly string _table = AzuriteServer.NewName("counts");

    private UpgradeStateStore Store() =>
        new(new TableServiceClient(AzuriteServer.ConnectionString), Options.Create(new UpgradesOptions { TableName = _table }));

    private static NotificationProcessor Processor(UpgradeStateStore store, ISettledEventPublisher events) =>
        new(store, new NoPoison(), events, Options.Create(new NotificationQueueOptions()), Options.Create(new UpgradesOptions()),
            new SwUpgradeMetrics(new TestMeterFactory()),
            NullLogger<NotificationProcessor>.Instance);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task CountsListsAndEvents_EqualAFullRecount_AfterRandomInterleavingsOnTwoProcessors(int seed)
    {
        var random = new Random(seed);
        var operationId = $"op-prop-{seed}";
        var messages = new List<string>();
        for (var d = 0; d < 36; d++)
        {
            var firmware = random.Next(2) == 0;
            var lifecycle = Envelopes.Lifecycle(firmware, random.Next(3) == 0 ? "FAIL" : "SUCCESS", deviceId: $"dev-{seed}-{d}",
                operationId: operationId, withResult: random.Next(4) != 0).ToList();
            var kept = lifecycle.Take(random.Next(0, lifecycle.Count + 1)).ToList();
            if (random.Next(6) == 0)
            {
                kept.Add(Envelopes.Of(firmware
                    ? Pushes.FwState("7", $"dev-{seed}-{d}", operationId, $"sub-dev-{seed}-{d}")
                    : Pushes.SwState("otacreated", $"dev-{seed}-{d}", operationId, $"sub-dev-{seed}-{d}")));
            }

            foreach (var envelope in kept)
            {
                messages.Add(Envelopes.Json(envelope));
                if (random.Next(4) == 0)
                {
                    messages.Add(Envelopes.Json(envelope)); // queue redelivery
                }

                if (random.Next(6) == 0)
                {
                    messages.Add(Envelopes.Json(Envelopes.Repush(envelope))); // platform re-push
                }
            }
        }

        var events = new RecordingEventPublisher();
        using var first = Store();
        using var second = Store();
        var processors = new[] { Processor(first, events), Processor(second, events) };
        var queue = new ConcurrentQueue<string>(messages.OrderBy(_ => random.Next()));
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var pick = new Random(seed * 100 + worker);
            while (queue.TryDequeue(out var message))
            {
                if (pick.Next(15) == 0)
                {
                    events.FailNext(1);
                }

                try
                {
                    await processors[pick.Next(2)].ProcessAsync(message, "m", 1, CancellationToken.None);
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref failures);
                    queue.Enqueue(message); // the runtime redelivers a message whose processing threw
                }
            }
        })));

        var recount = await Recount(operationId);
        using var reader = Store();
        var progress = (await reader.GetTaskAsync(operationId, 1000, null, TimeSpan.FromMinutes(1), CancellationToken.None))!;

        Assert.Equal(recount.Count, progress.Total);
        foreach (var phase in UpgradePhases.Names)
        {
            Assert.Equal(recount.Count(r => r.Phase == phase), progress.Phases[phase]);
            var listed = await All(reader, operationId, phase);
            Assert.Equal(recount.Where(r => r.Phase == phase).Select(r => r.Sub).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        }

        var active = recount.Where(r => !r.Settled).Select(r => r.Sub).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(active, (await All(reader, operationId, SubTaskFilter.Active)).Order(StringComparer.Ordinal));
        // Every push is from 09:00 on the test's day, long before now: every unsettled sub-task is stalled.
        Assert.Equal(active, (await All(reader, operationId, SubTaskFilter.Stalled)).Order(StringComparer.Ordinal));
        Assert.Equal(active.Count, progress.Stalled);
        Assert.Equal(recount.Select(r => r.Sub).Order(StringComparer.Ordinal), (await All(reader, operationId, null)).Order(StringComparer.Ordinal));
        // One index row per sub-task, the one its row records, at the key of what it counts as; no row of an earlier state.
        Assert.Equal((await RecordedIndexKeys(operationId)).Order(StringComparer.Ordinal), (await IndexRows(operationId)).Order(StringComparer.Ordinal));

        var settled = recount.Where(r => r.Settled).ToList();
        var ids = events.Published.Select(e => e.Id).Distinct().ToList();
        Assert.Equal(settled.Select(r => SettledEvents.Id(operationId, r.Sub)).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.All(events.Published, e => Assert.Equal(
            settled.Single(r => SettledEvents.Id(operationId, r.Sub) == e.Id).Result, e.Data!.ToObjectFromJson<SubTaskSettled>(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!.Result));
    }

    [Fact]
    public async Task StateOfThePreviousVersion_IsCountedAndListed_AndStaysExactAfterNewPushes()
    {
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        await table.CreateIfNotExistsAsync();
        const string operationId = "op-legacy";
        var states = new Dictionary<string, SubTaskState>();
        for (var d = 0; d < 40; d++)
        {
            var lifecycle = Envelopes.Lifecycle(false, d % 5 == 0 ? "FAIL" : "SUCCESS", deviceId: $"old-{d}", operationId: operationId);
            SubTaskState? state = null;
            foreach (var envelope in lifecycle.Take(1 + (d % 5)))
            {
                state = UpgradeStateMachine.Apply(state, envelope, 100).State;
            }

            states[state!.SubOperationId] = state;
            await EarlierLayout.WriteAsync(table, state);
        }

        using var store = Store();
        var progress = (await store.GetTaskAsync(operationId, 10, null, CancellationToken.None))!;

        Assert.Equal(40, progress.Total);
        Assert.Equal(8, progress.Phases["downloading"]);
        Assert.Equal(8, progress.Phases["idle"]);
        Assert.Equal(8, progress.Phases["succeeded"]);
        Assert.Equal(0, progress.Phases["failed"]);
        Assert.Equal((states.Values.Min(s => s.FirstUpdate), states.Values.Max(s => s.LastUpdate), "software"),
            (progress.FirstUpdate, progress.LastUpdate, progress.Kind));
        Assert.Equal(Enumerable.Range(0, 40).Where(d => d % 5 == 1).Select(d => $"sub-old-{d}").Order(StringComparer.Ordinal),
            (await All(store, operationId, "downloaded")).Order(StringComparer.Ordinal));
        Assert.Contains(operationId, (await store.ListTasksAsync(20, null, TimeSpan.FromHours(1), CancellationToken.None)).Tasks.Select(t => t.OperationId));

        // New pushes on the old sub-tasks, from another instance: the counts follow, exactly.
        using var other = Store();
        for (var d = 0; d < 40; d += 5)
        {
            await other.ApplyAsync(Envelopes.Of(Pushes.SwResult("FAIL", $"old-{d + 3}", operationId, $"sub-old-{d + 3}")), CancellationToken.None);
            await other.ApplyAsync(Envelopes.Of(Pushes.SwState("downloaded", $"old-{d}", operationId, $"sub-old-{d}")), CancellationToken.None);
            // A redelivered result of a sub-task that had settled before the take-over: counted by version once.
            await other.ApplyAsync(Envelopes.Of(Pushes.SwResult("SUCCESS", $"old-{d + 4}", operationId, $"sub-old-{d + 4}")), CancellationToken.None);
        }

        var recount = await Recount(operationId);
        var after = (await store.GetTaskAsync(operationId, 10, null, CancellationToken.None))!;
        foreach (var phase in UpgradePhases.Names)
        {
            Assert.Equal(recount.Count(r => r.Phase == phase), after.Phases[phase]);
            Assert.Equal(recount.Where(r => r.Phase == phase).Select(r => r.Sub).Order(StringComparer.Ordinal),
                (await All(store, operationId, phase)).Order(StringComparer.Ordinal));
        }

        Assert.Equal((8, 0, 16), (after.Phases["failed"], after.Phases["idle"], after.Phases["downloaded"]));
        Assert.Equal((await RecordedIndexKeys(operationId)).Order(StringComparer.Ordinal), (await IndexRows(operationId)).Order(StringComparer.Ordinal));
        // The take-over counted the settled rows by version too (every result reported 1.0.0).
        var versions = (await store.GetSourceVersionsAsync(operationId, CancellationToken.None))!;
        Assert.Equal((16, 0), (versions.Settled, versions.Uncounted));
        Assert.Equal([("1.0.0", 8, 8)], versions.Versions.Select(v => (v.SourceVersion, v.Succeeded, v.Failed)));
    }

    /// <summary>A task set up when every bucket had four counter rows (its task row does not say how many) keeps being counted in four.</summary>
    [Fact]
    public async Task TaskSetUpWithFourCounterShards_StaysExact_AfterNewPushes()
    {
        const string operationId = "op-four";
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        await table.CreateIfNotExistsAsync();
        var states = new List<SubTaskState>();
        for (var d = 0; d < 40; d++)
        {
            SubTaskState? state = null;
            foreach (var envelope in Envelopes.Lifecycle(false, "SUCCESS", deviceId: $"four-{d}", operationId: operationId).Take(1 + (d % 5)))
            {
                state = UpgradeStateMachine.Apply(state, envelope, 100).State;
            }

            states.Add(state!);
        }

        // That version kept neither counter rows nor failed lists.
        var rows = SeededRows.RowsOf(operationId, states)
            .Where(r => !r.RowKey.StartsWith("c|", StringComparison.Ordinal) && r.RowKey != FailedList.Row).ToList();
        // Rows of that version: the task row says neither how many counter rows nor (as before firmware tasks) its kind.
        rows.Where(r => r.PartitionKey == StorageKeys.TasksPartition).ToList().ForEach(r =>
        {
            r.Remove("CounterShards");
            r.Remove("Kind");
        });
        var counters = new Dictionary<(int Bucket, int Shard), CounterShard>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            for (var k = 0; k < StorageKeys.EarlierCounterShards; k++)
            {
                counters[(b, k)] = new CounterShard();
            }
        }

        states.ForEach(st => counters[(StorageKeys.BucketOf(st.SubOperationId), StorageKeys.ShardOf(st.SubOperationId, StorageKeys.EarlierCounterShards))]
            .Add(CountedState.Of(st), +1));
        rows.AddRange(counters.Select(c => c.Value.ToEntity(StorageKeys.TaskPartition(operationId, c.Key.Bucket), StorageKeys.CounterRow(c.Key.Shard))));
        foreach (var row in rows)
        {
            await table.UpsertEntityAsync(row);
        }

        using var store = Store();
        Assert.Equal(40, (await store.GetTaskAsync(operationId, 10, null, CancellationToken.None))!.Total);
        for (var d = 0; d < 40; d += 3)
        {
            await store.ApplyAsync(Envelopes.Of(Pushes.SwResult(d % 2 == 0 ? "FAIL" : "SUCCESS", $"four-{d}", operationId, $"sub-four-{d}")),
                CancellationToken.None);
        }

        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "four-new", operationId, "sub-four-new")), CancellationToken.None);
        var recount = await Recount(operationId);
        using var reader = Store();
        var progress = (await reader.GetTaskAsync(operationId, 10, null, CancellationToken.None))!;
        Assert.Equal(41, progress.Total);
        foreach (var phase in UpgradePhases.Names)
        {
            Assert.Equal(recount.Count(r => r.Phase == phase), progress.Phases[phase]);
        }

        var listed = (await reader.ListTasksAsync(10, null, TimeSpan.FromHours(1), CancellationToken.None)).Tasks.Single(t => t.OperationId == operationId);
        Assert.Equal((41, "software"), (listed.Total, listed.Kind));
    }

    [Fact]
    public async Task IndexRowsOfTheEarlierLayout_AreReplaced_ByTheFirstPushThatMeetsThem()
    {
        const string operationId = "op-layout";
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        using var store = Store();
        for (var d = 0; d < 12; d++)
        {
            foreach (var envelope in Envelopes.Lifecycle(false, "SUCCESS", deviceId: $"lay-{d}", operationId: operationId).Take(1 + (d % 3)))
            {
                await store.ApplyAsync(envelope, CancellationToken.None);
            }
        }

        // Rewrite every sub-task to the earlier layout: a phase index row p|{phase}|{sub}, an active index row
        // a|{ticks}|{sub} while unsettled, recorded in ActiveKey; no IndexKey.
        await foreach (var row in table.QueryAsync<TableEntity>("RowKey ge 's|' and RowKey lt 's}'"))
        {
            var state = StateEntities.ToState(row);
            var phase = state.Phase.NameOrNone();
            await table.DeleteEntityAsync(row.PartitionKey, row.GetString("IndexKey"));
            row.Remove("IndexKey");
            await table.UpsertEntityAsync(new TableEntity(row.PartitionKey, $"p|{phase}|{state.SubOperationId}") { ["SubOperationId"] = state.SubOperationId, ["Phase"] = phase });
            if (state.Phase?.IsSettled() != true)
            {
                var active = $"a|{state.LastUpdate.UtcTicks:D19}|{state.SubOperationId}";
                row["ActiveKey"] = active;
                await table.UpsertEntityAsync(new TableEntity(row.PartitionKey, active) { ["SubOperationId"] = state.SubOperationId, ["Phase"] = phase });
            }

            await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
        }

        // Another instance (nothing remembered) pushes the next step of half of them, and repeats a push of the others.
        using var other = Store();
        for (var d = 0; d < 12; d++)
        {
            var lifecycle = Envelopes.Lifecycle(false, "SUCCESS", deviceId: $"lay-{d}", operationId: operationId);
            await other.ApplyAsync(d % 2 == 0 ? lifecycle[1 + (d % 3)] : lifecycle[d % 3], CancellationToken.None);
        }

        var recount = await Recount(operationId);
        Assert.Equal((await RecordedIndexKeys(operationId)).Order(StringComparer.Ordinal), (await IndexRows(operationId)).Order(StringComparer.Ordinal));
        var progress = (await other.GetTaskAsync(operationId, 100, null, CancellationToken.None))!;
        foreach (var phase in UpgradePhases.Names)
        {
            Assert.Equal(recount.Count(r => r.Phase == phase), progress.Phases[phase]);
            Assert.Equal(recount.Where(r => r.Phase == phase).Select(r => r.Sub).Order(StringComparer.Ordinal),
                (await All(other, operationId, phase)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Stalled_IsDerivedWhenRead_InWholeMinutes_CountAndListAgreeing()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        using var store = new UpgradeStateStore(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = _table }), time);
        var at = new DateTimeOffset(2026, 11, 26, 12, 0, 30, TimeSpan.Zero);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("updating", "st-1", "op-stall", "s-1"), at), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "st-2", "op-stall", "s-2"), at.AddMinutes(10)), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwResult("FAIL", "st-3", "op-stall", "s-3"), at), CancellationToken.None);

        async Task<(int Count, string Listed)> StalledAt(DateTimeOffset now)
        {
            time.SetUtcNow(now);
            var progress = (await store.GetTaskAsync("op-stall", 10, null, TimeSpan.FromHours(1), CancellationToken.None))!;
            Assert.True(SubTaskFilter.TryParse(SubTaskFilter.Stalled, out var stalled));
            var page = (await store.ListSubTasksAsync("op-stall", stalled, 10, null, TimeSpan.FromHours(1), CancellationToken.None))!;
            Assert.All(page.SubTasks, r => Assert.True(r.Stalled));
            return (progress.Stalled, string.Join(",", page.SubTasks.Select(r => r.SubOperationId).Order(StringComparer.Ordinal)));
        }

        // 12:00:30 + 1 h = 13:00:30; the cutoff is (now - 1 h) rounded down to the minute.
        Assert.Equal((0, ""), await StalledAt(new DateTimeOffset(2026, 11, 26, 13, 0, 59, TimeSpan.Zero)));
        Assert.Equal((1, "s-1"), await StalledAt(new DateTimeOffset(2026, 11, 26, 13, 1, 0, TimeSpan.Zero)));
        Assert.Equal((2, "s-1,s-2"), await StalledAt(new DateTimeOffset(2026, 11, 26, 23, 0, 0, TimeSpan.Zero)));

        // A push moves the sub-task out of stalled at once: nothing else was written in between.
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("idle", "st-1", "op-stall", "s-1"), new DateTimeOffset(2026, 11, 26, 22, 59, 0, TimeSpan.Zero)),
            CancellationToken.None);
        Assert.Equal((1, "s-2"), await StalledAt(new DateTimeOffset(2026, 11, 26, 23, 0, 0, TimeSpan.Zero)));
    }

    /// <summary>Each listed row says whether it is stalled exactly as the count does: unsettled, and last heard of before the cutoff.</summary>
    [Fact]
    public async Task StalledFlagOfEachRow_AgreesWithTheCount_AtTheCutoffItself()
    {
        var now = new DateTimeOffset(2026, 11, 26, 13, 0, 0, TimeSpan.Zero);
        using var store = new UpgradeStateStore(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = _table }), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now));
        var pushes = new[]
        {
            Envelopes.Of(Pushes.SwState("updating", "fl-1", "op-flag", "at-cutoff"), now.AddHours(-1)),
            Envelopes.Of(Pushes.SwState("downloading", "fl-2", "op-flag", "before-cutoff"), now.AddHours(-1).AddSeconds(-1)),
            Envelopes.Of(Pushes.SwResult("FAIL", "fl-3", "op-flag", "settled-long-ago"), now.AddHours(-5)),
        };
        foreach (var push in pushes)
        {
            await store.ApplyAsync(push, CancellationToken.None);
        }

        var progress = (await store.GetTaskAsync("op-flag", 10, null, TimeSpan.FromHours(1), CancellationToken.None))!;

        Assert.Equal(1, progress.Stalled);
        Assert.Equal(
            pushes.Select(p => (p.Notification.SubOperationId, p.ReceivedAt, p.ReceivedAt, p.Notification.SubOperationId == "before-cutoff"))
                .Order(),
            progress.SubTasks.Select(r => (r.SubOperationId, r.FirstUpdate, r.LastUpdate, r.Stalled)).Order());
    }

    /// <summary>
    /// The rows benchmarks seed a task with (<see cref="SeededRows.RowsOf"/>) are the rows the store's own
    /// transactions leave for the same sub-tasks: sub-task, index, counter, failed-list, task and activity rows, column for column.
    /// </summary>
    [Fact]
    public async Task RowsOfATask_AreTheRowsTheStoreLeaves_ForTheSameSubTasks()
    {
        const string operationId = "op-seed";
        var live = new TableClient(AzuriteServer.ConnectionString, _table);
        var seeded = new TableClient(AzuriteServer.ConnectionString, _table + "seed");
        await seeded.CreateIfNotExistsAsync();
        using var store = Store();
        var states = new Dictionary<string, SubTaskState>();
        var at = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        for (var d = 0; d < 12; d++)
        {
            var lifecycle = Envelopes.Lifecycle(false, d % 3 == 0 ? "FAIL" : "SUCCESS", deviceId: $"seed-{d}", operationId: operationId);
            SubTaskState? state = null;
            foreach (var envelope in lifecycle.Take(1 + (d % 5)))
            {
                var timed = NotificationEnvelope.Create(envelope.Notification, at = at.AddMinutes(1));
                state = UpgradeStateMachine.Apply(state, timed, 100).State;
                await store.ApplyAsync(timed, CancellationToken.None);
            }

            states[state!.SubOperationId] = state;
        }

        foreach (var partition in SeededRows.RowsOf(operationId, [.. states.Values]).GroupBy(r => r.PartitionKey))
        {
            await seeded.SubmitTransactionAsync(partition.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)));
        }

        var expected = await TaskRows(live);
        // 12 sub-task rows, 12 index rows, 3 counter rows in each of the 32 buckets, the task row and its activity row,
        // one timeline row per bucket and shard met (all pushes on one day), and a failed list in each bucket with a failure.
        var timelineRows = states.Values.Select(st => (StorageKeys.BucketOf(st.SubOperationId), StorageKeys.ShardOf(st.SubOperationId, StorageKeys.CounterShards)))
            .Distinct().Count();
        var failedLists = states.Values.Where(st => st.Phase == UpgradePhase.Failed).Select(st => StorageKeys.BucketOf(st.SubOperationId)).Distinct().Count();
        Assert.InRange(failedLists, 1, 4);
        Assert.Equal(12 + 12 + (StorageKeys.Buckets * StorageKeys.CounterShards) + 2 + timelineRows + failedLists, expected.Count);
        Assert.Equal(expected, await TaskRows(seeded));

        static async Task<List<string>> TaskRows(TableClient table)
        {
            var rows = new List<string>();
            await foreach (var e in table.QueryAsync<TableEntity>(
                               $"(PartitionKey ge 'op|{operationId}|' and PartitionKey lt 'op|{operationId}}}') or PartitionKey eq '{StorageKeys.TasksPartition}'"))
            {
                var columns = e.Keys.Where(k => k is not ("odata.etag" or "Timestamp")).Order(StringComparer.Ordinal)
                    .Select(k => $"{k}={(e[k] is byte[] bytes ? Convert.ToHexString(bytes) : e[k] is DateTimeOffset t ? t.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) : e[k])}");
                rows.Add(string.Join(" ", columns));
            }

            return [.. rows.Order(StringComparer.Ordinal)];
        }
    }

    private static async Task<List<string>> All(UpgradeStateStore store, string operationId, string? phase)
    {
        Assert.True(SubTaskFilter.TryParse(phase, out var filter));
        var subs = new List<string>();
        string? token = null;
        do
        {
            var page = (await store.ListSubTasksAsync(operationId, filter, 7, token, TimeSpan.FromMinutes(1), CancellationToken.None))!;
            subs.AddRange(page.SubTasks.Select(s => s.SubOperationId));
            token = page.ContinuationToken;
        }
        while (token is not null);

        return subs;
    }

    private async Task<List<(string Sub, string Phase, bool Settled, string? Result)>> Recount(string operationId)
    {
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        var rows = new List<(string, string, bool, string?)>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            await foreach (var e in table.QueryAsync<TableEntity>(
                               $"PartitionKey eq '{StorageKeys.TaskPartition(operationId, b)}' and RowKey ge 's|' and RowKey lt 's}}'"))
            {
                var state = StateEntities.ToState(e);
                rows.Add((state.SubOperationId, state.Phase.NameOrNone(), state.Phase?.IsSettled() == true, state.Result));
            }
        }

        return rows;
    }

    /// <summary>Index rows of the task (and any row of the earlier active index), read raw: no row may outlive the state it indexed.</summary>
    private async Task<List<string>> IndexRows(string operationId)
    {
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        var keys = new List<string>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            var partition = StorageKeys.TaskPartition(operationId, b);
            await foreach (var e in table.QueryAsync<TableEntity>(
                               $"PartitionKey eq '{partition}' and ((RowKey ge 'p|' and RowKey lt 'p}}') or (RowKey ge 'a|' and RowKey lt 'a}}'))",
                               select: ["RowKey"]))
            {
                keys.Add(partition + "/" + e.RowKey);
            }
        }

        return keys;
    }

    /// <summary>The index key each sub-task row records, checked against what the row counts as (its phase, settled, minute).</summary>
    private async Task<List<string>> RecordedIndexKeys(string operationId)
    {
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        var keys = new List<string>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            await foreach (var e in table.QueryAsync<TableEntity>(
                               $"PartitionKey eq '{StorageKeys.TaskPartition(operationId, b)}' and RowKey ge 's|' and RowKey lt 's}}'"))
            {
                var state = StateEntities.ToState(e);
                var phase = state.Phase.NameOrNone();
                var expected = state.Phase?.IsSettled() == true
                    ? $"p|{phase}|{state.SubOperationId}"
                    : $"p|{phase}|{state.LastUpdate.UtcTicks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute:D19}|{state.SubOperationId}";
                Assert.Equal(expected, e.GetString("IndexKey"));
                keys.Add(e.PartitionKey + "/" + expected);
            }
        }

        return keys;
    }

    private sealed class NoPoison : IPoisonQueue
    {
        public Task SendAsync(string message, CancellationToken cancellationToken) =>
            throw new NotSupportedException("A valid push was poisoned.");
    }
}
