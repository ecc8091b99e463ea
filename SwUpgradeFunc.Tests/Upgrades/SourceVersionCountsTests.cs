using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// The source versions the counter rows count, against Azurite: equal to a recount of the sub-task rows after random
/// interleavings on two processors, read at a cost that does not grow with the task, beyond the per-row bound summed
/// into <c>other</c>, and honest about settles recorded before versions were counted.
/// </summary>
public sealed class SourceVersionCountsTests
{
    private static readonly string[] SourceVersions = ["1.0.0", "1.1.0", "2.0.0-rc", ""];

    private readonly string _table = AzuriteServer.NewName("versions");

    private UpgradeStateStore Store() =>
        new(new TableServiceClient(AzuriteServer.ConnectionString), Options.Create(new UpgradesOptions { TableName = _table }));

    private static NotificationProcessor Processor(UpgradeStateStore store) =>
        new(store, new NoPoison(), new RecordingEventPublisher(), Options.Create(new NotificationQueueOptions()),
            Options.Create(new UpgradesOptions()), new SwUpgradeMetrics(new TestMeterFactory()), NullLogger<NotificationProcessor>.Instance);

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task Versions_EqualARecountOfTheSubTaskRows_AfterDuplicatesReorderingAndTwoProcessors(int seed)
    {
        var random = new Random(seed);
        var operationId = $"op-versions-{seed}";
        var messages = new List<string>();
        for (var d = 0; d < 40; d++)
        {
            var (device, sub) = ($"dev-{seed}-{d}", $"sub-dev-{seed}-{d}");
            var firmware = random.Next(2) == 0;
            var pushes = Envelopes.Lifecycle(firmware, "SUCCESS", device, operationId, withResult: false)
                .Take(random.Next(0, 5)).ToList();
            // Zero to two results, each with its own outcome and source version: a second one moves the settle.
            for (var r = random.Next(3); r > 0; r--)
            {
                var outcome = random.Next(3) == 0 ? "FAIL" : "SUCCESS";
                var result = firmware ? Pushes.FwResult(outcome, device, operationId, sub) : Pushes.SwResult(outcome, device, operationId, sub);
                result["sourceVersion"] = SourceVersions[random.Next(SourceVersions.Length)];
                pushes.Add(Envelopes.Of(result));
            }

            foreach (var envelope in pushes)
            {
                messages.Add(Envelopes.Json(envelope));
                if (random.Next(3) == 0)
                {
                    messages.Add(Envelopes.Json(envelope)); // queue redelivery
                }

                if (random.Next(5) == 0)
                {
                    messages.Add(Envelopes.Json(Envelopes.Repush(envelope))); // platform re-push
                }
            }
        }

        using var first = Store();
        using var second = Store();
        var processors = new[] { Processor(first), Processor(second) };
        var queue = new ConcurrentQueue<string>(messages.OrderBy(_ => random.Next()));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var pick = new Random(seed * 100 + worker);
            while (queue.TryDequeue(out var message))
            {
                await processors[pick.Next(2)].ProcessAsync(message, "m", 1, CancellationToken.None);
            }
        })));

        var recount = await SettledRowsAsync(operationId);
        using var reader = Store();
        var answer = (await reader.GetSourceVersionsAsync(operationId, CancellationToken.None))!;

        Assert.NotEmpty(recount);
        Assert.Equal(recount.Count, answer.Settled);
        Assert.Equal(0, answer.Uncounted);
        Assert.Null(answer.Other);
        var expected = recount.GroupBy(r => r.Version)
            .ToDictionary(g => g.Key.Length == 0 ? "(none)" : g.Key, g => (g.Count(r => r.Succeeded), g.Count(r => !r.Succeeded)));
        Assert.Equal(expected, answer.Versions.ToDictionary(v => v.SourceVersion ?? "(none)", v => (v.Succeeded, v.Failed)));
    }

    [Fact]
    public async Task Read_CostsTheSameStorageRequests_ForAHundredAndForThreeThousandSettledSubTasks()
    {
        var small = await RequestsOfAReadAsync("op-small", 100);
        var large = await RequestsOfAReadAsync("op-large", 3000);

        Assert.Equal(small.Requests, large.Requests);
        Assert.Equal(0, small.RowsQueried);
        Assert.Equal(0, large.RowsQueried);
        // The task row, the tombstone and the 96 counter rows, each a point read.
        Assert.Equal(2 + StorageKeys.Buckets * StorageKeys.CounterShards, large.Requests);
    }

    [Fact]
    public async Task VersionsBeyondTheBoundOfACounterRow_LandInOther_AndTheTotalsStillAddUp()
    {
        // 70 sub-tasks of one counter row, each of its own version, and 200 more spread over the task with a few versions.
        const string op = "op-many-versions";
        var shardOf = (string sub) => (StorageKeys.BucketOf(sub), StorageKeys.ShardOf(sub, StorageKeys.CounterShards));
        var target = shardOf(SeededTask.State(op, 0, UpgradePhase.Succeeded).SubOperationId);
        var states = new List<SubTaskState>();
        var sameShard = 0;
        for (var i = 0; states.Count < 270; i++)
        {
            var inTarget = shardOf(SeededTask.State(op, i, UpgradePhase.Succeeded).SubOperationId) == target;
            if (inTarget && sameShard < 70)
            {
                states.Add(SeededTask.State(op, i, sameShard % 4 == 0 ? UpgradePhase.Failed : UpgradePhase.Succeeded, sourceVersion: $"u{sameShard++:D2}"));
            }
            else if (!inTarget && states.Count - sameShard < 200)
            {
                states.Add(SeededTask.State(op, i, i % 5 == 0 ? UpgradePhase.Failed : UpgradePhase.Succeeded, sourceVersion: $"common-{i % 3}"));
            }
        }

        await SeededTask.WriteAsync(new TableClient(AzuriteServer.ConnectionString, _table), op, states);
        using var store = Store();
        var answer = (await store.GetSourceVersionsAsync(op, CancellationToken.None))!;

        Assert.Equal(270, answer.Settled);
        Assert.Equal(0, answer.Uncounted);
        Assert.Equal(["common-0", "common-1", "common-2"], answer.Versions.Take(3).Select(v => v.SourceVersion).Order(StringComparer.Ordinal));
        Assert.Equal(SettledBreakdowns.MaxVersions, answer.Versions.Count);
        var other = answer.Other!;
        Assert.Equal(states.Count(s => s.Phase == UpgradePhase.Succeeded), answer.Versions.Sum(v => v.Succeeded) + other.Succeeded);
        Assert.Equal(states.Count(s => s.Phase == UpgradePhase.Failed), answer.Versions.Sum(v => v.Failed) + other.Failed);
        // Named in the row: the first 40 versions; 7 of them are listed, 33 are in other by name, and 30 without one.
        Assert.Equal(VersionCounting.MaxVersionsPerShard - (SettledBreakdowns.MaxVersions - 3), other.SourceVersions);
        Assert.Equal(70 - (SettledBreakdowns.MaxVersions - 3), other.Succeeded + other.Failed);
    }

    [Fact]
    public async Task SettlesRecordedBeforeVersionsWereCounted_AreUncounted_UntilTheSubTasksNextWrite()
    {
        const string op = "op-before-versions";
        var states = Enumerable.Range(0, 50).Select(i => SeededTask.State(op, i, i % 5 == 0 ? UpgradePhase.Failed : UpgradePhase.Succeeded,
            sourceVersion: i % 2 == 0 ? "1.0.0" : "1.1.0")).ToList();
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        await SeededTask.WriteAsync(table, op, states);
        await EarlierVersionRows.ForgetSourceVersionsAsync(table, op); // the rows as the version before per-version counts left them

        using var store = Store();
        var before = (await store.GetSourceVersionsAsync(op, CancellationToken.None))!;
        Assert.Equal(50, before.Settled);
        Assert.Equal(50, before.Uncounted);
        Assert.Empty(before.Versions);

        // A redelivered result of sub-task 0 (failed, 1.0.0) and a new result of sub-task 1 (now failed, 2.0.0).
        var processor = Processor(store);
        var redelivered = Pushes.SwResult("FAIL", states[0].DeviceId, op, states[0].SubOperationId);
        var changed = Pushes.SwResult("FAIL", states[1].DeviceId, op, states[1].SubOperationId);
        changed["sourceVersion"] = "2.0.0";
        foreach (var push in new[] { redelivered, changed })
        {
            await processor.ProcessAsync(Envelopes.Json(Envelopes.Of(push, SeededTask.At.AddHours(1))), "m", 1, CancellationToken.None);
        }

        var after = (await store.GetSourceVersionsAsync(op, CancellationToken.None))!;
        var rows = await SettledRowsAsync(op);
        Assert.Equal(50, after.Settled);
        Assert.Equal(48, after.Uncounted);
        var counted = rows.Where(r => r.Sub is "sub-00000" or "sub-00001")
            .ToDictionary(r => r.Version, r => (r.Succeeded ? 1 : 0, r.Succeeded ? 0 : 1));
        Assert.Equal(counted, AnswerByVersion(after));

        static Dictionary<string, (int, int)> AnswerByVersion(SourceVersions answer) =>
            answer.Versions.ToDictionary(v => v.SourceVersion ?? "", v => (v.Succeeded, v.Failed));
    }

    private async Task<(int Requests, int RowsQueried)> RequestsOfAReadAsync(string operationId, int settled)
    {
        var states = Enumerable.Range(0, settled)
            .Select(i => SeededTask.State(operationId, i, i % 10 == 0 ? UpgradePhase.Failed : UpgradePhase.Succeeded, sourceVersion: $"v{i % 7}"))
            .ToList();
        await SeededTask.WriteAsync(new TableClient(AzuriteServer.ConnectionString, _table), operationId, states);
        var (service, transport) = ScriptedTableTransport.Create(AzuriteServer.ConnectionString);
        using var store = new UpgradeStateStore(service, Options.Create(new UpgradesOptions { TableName = _table }));
        await store.GetSourceVersionsAsync("op-warm-up", CancellationToken.None); // the table's set-up, once per store
        transport.ClearRequests();
        var rowsBefore = transport.RowsQueried;

        var answer = (await store.GetSourceVersionsAsync(operationId, CancellationToken.None))!;

        Assert.Equal(settled, answer.Versions.Sum(v => v.Succeeded + v.Failed));
        return (transport.Requests.Count, transport.RowsQueried - rowsBefore);
    }

    private async Task<List<(string Sub, string Version, bool Succeeded)>> SettledRowsAsync(string operationId)
    {
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        var rows = new List<(string, string, bool)>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            await foreach (var e in table.QueryAsync<TableEntity>(
                               $"PartitionKey eq '{StorageKeys.TaskPartition(operationId, b)}' and RowKey ge 's|' and RowKey lt 's}}'"))
            {
                var state = StateEntities.ToState(e);
                if (state.Phase?.IsSettled() == true)
                {
                    rows.Add((state.SubOperationId, state.SourceVersion ?? "", state.Phase == UpgradePhase.Succeeded));
                }
            }
        }

        return rows;
    }

    private sealed class NoPoison : IPoisonQueue
    {
        public Task SendAsync(string message, CancellationToken cancellationToken) =>
            throw new NotSupportedException("A valid push was poisoned.");
    }
}
