using System.Net;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// The task row and what it stands on: its set-up with the task's first push (and the migration of sub-task rows an
/// earlier version wrote), its upkeep as pushes arrive, and the counter rows it promises exist; seen through a
/// transport that records every request to Azurite and scripts the table's errors.
/// </summary>
public sealed class UpgradeStateStoreTaskRowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    private readonly string _table = AzuriteServer.NewName("taskrow");

    private (UpgradeStateStore Store, ScriptedTableTransport Transport) Store()
    {
        var (service, transport) = ScriptedTableTransport.Create(AzuriteServer.ConnectionString);
        return (new UpgradeStateStore(service, Options.Create(new UpgradesOptions { TableName = _table, HistoryLimit = 100 })), transport);
    }

    private TableClient Raw() => new(AzuriteServer.ConnectionString, _table);

    private static NotificationEnvelope Push(string state, string sub, string operationId, DateTimeOffset receivedAt) =>
        Envelopes.Of(Pushes.SwState(state, "dev-" + sub, operationId, sub), receivedAt);

    /// <summary>Transactions that write the task row (they all touch the tasks partition).</summary>
    private static int TaskRowWrites(ScriptedTableTransport transport) =>
        transport.Transactions.Count(t => t.Contains($"\"PartitionKey\":\"{StorageKeys.TasksPartition}\"", StringComparison.Ordinal));

    private static int TaskRowReads(ScriptedTableTransport transport, string operationId) =>
        transport.Requests.Count(r => r.Method == "GET" &&
                                      r.Path.EndsWith($"(PartitionKey='{StorageKeys.TasksPartition}',RowKey='{StorageKeys.TaskRow(operationId)}')", StringComparison.Ordinal));

    /// <summary>Requests that write entities (anything but reads and the store's creation of its table).</summary>
    private static List<(string Method, string Path)> EntityWrites(ScriptedTableTransport transport) =>
        [.. transport.Requests.Where(r => r.Method != "GET" && !r.Path.EndsWith("/Tables", StringComparison.Ordinal))];

    /// <summary>Table queries (as opposed to point reads, whose path names the row).</summary>
    private static int Queries(ScriptedTableTransport transport) =>
        transport.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("()", StringComparison.Ordinal));

    /// <summary>Sub-task identifiers that fall in one bucket (and, if asked, not in counter shard 0).</summary>
    private static IEnumerable<string> SubsInBucket(string prefix, int bucket, bool notShardZero = false) =>
        Enumerable.Range(0, 100_000).Select(i => $"{prefix}-{i}")
            .Where(s => StorageKeys.BucketOf(s) == bucket && (!notShardZero || StorageKeys.ShardOf(s, StorageKeys.CounterShards) != 0));

    [Fact]
    public async Task Apply_ReadsTheTaskRowOnce_ForATasksFirstPush()
    {
        var (store, transport) = Store();

        await store.ApplyAsync(Push("downloading", "sub-first", "op-first", T0), CancellationToken.None);

        Assert.Equal(1, TaskRowReads(transport, "op-first"));
        Assert.Equal(1, TaskRowWrites(transport));
    }

    [Fact]
    public async Task Apply_WritesTheTaskRow_OnlyForAPushAMinutePastItsLastUpdate_OrBeforeItsFirst()
    {
        var (store, transport) = Store();
        await store.ApplyAsync(Push("downloading", "sub-a", "op-touch", T0), CancellationToken.None);
        transport.ClearRequests();

        // Within the minute, or at the first update itself: the task row stays as it is.
        await store.ApplyAsync(Push("downloaded", "sub-a", "op-touch", T0.AddSeconds(59)), CancellationToken.None);
        await store.ApplyAsync(Push("downloading", "sub-b", "op-touch", T0), CancellationToken.None);
        Assert.Equal(0, TaskRowWrites(transport));

        // A minute on to the tick, and a push older than the first: each moves its end of the task.
        await store.ApplyAsync(Push("updating", "sub-a", "op-touch", T0.AddMinutes(1)), CancellationToken.None);
        Assert.Equal(1, TaskRowWrites(transport));
        await store.ApplyAsync(Push("downloading", "sub-c", "op-touch", T0.AddSeconds(-10)), CancellationToken.None);
        Assert.Equal(2, TaskRowWrites(transport));

        // The instance kept the row's new ETag each time: no conflict, so no re-read of the row.
        Assert.Equal(0, TaskRowReads(transport, "op-touch"));
        var task = (await store.GetTaskAsync("op-touch", 10, null, CancellationToken.None))!;
        Assert.Equal((T0.AddSeconds(-10), T0.AddMinutes(1)), (task.FirstUpdate, task.LastUpdate));
    }

    [Fact]
    public async Task ListTasks_PutsATaskFirst_WhenItsActivityMovesPastAnother_AndListsEachTaskOnce()
    {
        var (store, _) = Store();
        await store.ApplyAsync(Push("downloading", "sub-1", "op-early", T0), CancellationToken.None);
        await store.ApplyAsync(Push("downloading", "sub-2", "op-late", T0.AddMinutes(1)), CancellationToken.None);
        Assert.Equal(["op-late", "op-early"], await TaskOrder(store));

        await store.ApplyAsync(Push("downloaded", "sub-1", "op-early", T0.AddMinutes(3)), CancellationToken.None);
        await store.ApplyAsync(Push("updating", "sub-1", "op-early", T0.AddMinutes(5)), CancellationToken.None);

        Assert.Equal(["op-early", "op-late"], await TaskOrder(store));
        var early = (await store.ListTasksAsync(10, null, TimeSpan.FromHours(1), CancellationToken.None)).Tasks[0];
        Assert.Equal(T0.AddMinutes(5), early.LastUpdate);

        // Another instance, whose view of the task row is older, moves it too.
        var (other, _) = Store();
        await other.ApplyAsync(Push("downloaded", "sub-2", "op-late", T0.AddMinutes(9)), CancellationToken.None);
        Assert.Equal(["op-late", "op-early"], await TaskOrder(store));
    }

    [Fact]
    public async Task Apply_NeverMovesATasksActivityBack_OrListsItTwice_WhenAnotherInstanceMovedItMeanwhile()
    {
        var (first, _) = Store();
        var (second, _) = Store();
        await first.ApplyAsync(Push("downloading", "sub-p", "op-pair", T0), CancellationToken.None);
        await second.ApplyAsync(Push("downloading", "sub-q", "op-pair", T0.AddMinutes(1)), CancellationToken.None);

        // Each instance's view of the task row is now out of date in turn: its conditional write fails, it reads the row
        // again, and writes only what moves the task further.
        await first.ApplyAsync(Push("downloaded", "sub-p", "op-pair", T0.AddMinutes(5)), CancellationToken.None);
        Assert.Equal(["op-pair"], await TaskOrder(first));
        await second.ApplyAsync(Push("downloaded", "sub-q", "op-pair", T0.AddMinutes(3)), CancellationToken.None);

        Assert.Equal(["op-pair"], await TaskOrder(first));
        Assert.Equal((T0, T0.AddMinutes(5)), (await second.ListTasksAsync(10, null, TimeSpan.FromHours(1), CancellationToken.None))
            .Tasks.Select(t => (t.FirstUpdate, t.LastUpdate)).Single());
    }

    private static async Task<List<string>> TaskOrder(UpgradeStateStore store) =>
        [.. (await store.ListTasksAsync(10, null, TimeSpan.FromHours(1), CancellationToken.None)).Tasks.Select(t => t.OperationId)];

    /// <summary>A page of a task costs its task row once, one point read per counter row and one query per bucket and key range.</summary>
    [Fact]
    public async Task GetTask_OfAKnownTask_ReadsItsRowOnce_AndEachBucketOnce()
    {
        var (store, _) = Store();
        for (var i = 0; i < 3; i++)
        {
            await store.ApplyAsync(Push("downloading", $"sub-k{i}", "op-known", T0), CancellationToken.None);
        }

        var (other, transport) = Store();
        var task = (await other.GetTaskAsync("op-known", 1000, null, CancellationToken.None))!;

        Assert.Equal((3, 3), (task.Total, task.SubTasks.Count));
        Assert.Equal(1, TaskRowReads(transport, "op-known"));
        Assert.Equal(StorageKeys.Buckets * SubTaskFilter.All.RangeCount, Queries(transport));
        Assert.Equal(StorageKeys.Buckets * StorageKeys.CounterShards,
            transport.Requests.Count(r => r.Method == "GET" && r.Path.Contains(",RowKey='c|", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Apply_GivesUp_AfterMaxAttempts_WhenAddingTheTaskRowConflictsEveryTime()
    {
        var (store, transport) = Store();
        transport.FailTransactionsContaining($"\"PartitionKey\":\"{StorageKeys.TasksPartition}\"", HttpStatusCode.Conflict, "EntityAlreadyExists");

        var e = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            store.ApplyAsync(Push("downloading", "sub-x", "op-setup", T0), CancellationToken.None));

        Assert.Equal((409, UpgradeStateStore.MaxAttempts), (e.Status, transport.FailedWrites));
    }

    [Fact]
    public async Task Apply_GivesUp_AfterMaxAttempts_WhenTheTaskRowChangesEveryTime_AndTheRedeliveryMovesIt()
    {
        var (store, transport) = Store();
        await store.ApplyAsync(Push("downloading", "sub-y", "op-busy", T0), CancellationToken.None);
        transport.FailTransactionsContaining($"\"PartitionKey\":\"{StorageKeys.TasksPartition}\"", HttpStatusCode.PreconditionFailed,
            "UpdateConditionNotSatisfied");

        var late = Push("downloaded", "sub-y", "op-busy", T0.AddMinutes(2));
        var e = await Assert.ThrowsAnyAsync<RequestFailedException>(() => store.ApplyAsync(late, CancellationToken.None));
        Assert.Equal((412, UpgradeStateStore.MaxAttempts), (e.Status, transport.FailedWrites));

        transport.Heal();
        await store.ApplyAsync(late, CancellationToken.None);
        Assert.Equal(T0.AddMinutes(2), (await store.GetTaskAsync("op-busy", 10, null, CancellationToken.None))!.LastUpdate);
    }

    [Fact]
    public async Task GetTask_OfAnOperationNobodyPushed_WritesNothing_AndLooksAtOneRowPerBucket()
    {
        var (store, transport) = Store();
        await store.ApplyAsync(Push("downloading", "sub-other", "op-other", T0), CancellationToken.None);
        transport.ClearRequests();

        Assert.Null(await store.GetTaskAsync("op-nobody", 10, null, CancellationToken.None));

        Assert.Empty(EntityWrites(transport));
        Assert.Equal(StorageKeys.Buckets, Queries(transport));
    }

    /// <summary>
    /// The page polls an unknown task every few seconds: after the first look found no rows of it anywhere, each read
    /// costs its task row alone (the first cost 2 task-row reads and a query per bucket); once pushed, it is found at once.
    /// </summary>
    [Fact]
    public async Task GetTask_OfAnOperationNobodyPushed_ReadsOnlyItsTaskRow_AfterTheFirstLook_AndFindsItOncePushed()
    {
        var (store, transport) = Store();
        Assert.Null(await store.GetTaskAsync("op-polled", 10, null, CancellationToken.None));
        Assert.Equal((2, StorageKeys.Buckets), (TaskRowReads(transport, "op-polled"), Queries(transport)));
        transport.ClearRequests();

        Assert.Null(await store.GetTaskAsync("op-polled", 10, null, CancellationToken.None));
        Assert.Null(await store.ListSubTasksAsync("op-polled", SubTaskFilter.All, 10, null, TimeSpan.FromHours(1), CancellationToken.None));

        Assert.Equal(2, transport.Requests.Count);
        Assert.Equal(2, TaskRowReads(transport, "op-polled"));
        var (pusher, _) = Store();
        await pusher.ApplyAsync(Push("downloading", "sub-polled", "op-polled", T0), CancellationToken.None);
        Assert.Equal(1, (await store.GetTaskAsync("op-polled", 10, null, CancellationToken.None))!.Total);
    }

    [Fact]
    public async Task Apply_RebuildsTheCounterRowsOfABucket_WhoseSetUpWasInterrupted()
    {
        var (store, _) = Store();
        var subs = SubsInBucket("sub-lost", 7).Take(2).ToArray();
        await store.ApplyAsync(Push("downloading", subs[0], "op-lost", T0), CancellationToken.None);
        await store.ApplyAsync(Push("downloading", SubsInBucket("sub-kept", 8).First(), "op-lost", T0), CancellationToken.None);
        var partition = StorageKeys.TaskPartition("op-lost", 7);
        for (var shard = 0; shard < StorageKeys.CounterShards; shard++)
        {
            await Raw().DeleteEntityAsync(partition, StorageKeys.CounterRow(shard));
        }

        // Meanwhile a read counts what the other buckets' counter rows hold, and does not fail.
        var (other, _) = Store();
        Assert.Equal(1, (await other.GetTaskAsync("op-lost", 10, null, CancellationToken.None))!.Total);

        await other.ApplyAsync(Push("downloaded", subs[1], "op-lost", T0), CancellationToken.None);

        var task = (await other.GetTaskAsync("op-lost", 10, null, CancellationToken.None))!;
        Assert.Equal((3, 2, 1), (task.Total, task.Phases["downloading"], task.Phases["downloaded"]));
    }

    [Fact]
    public async Task Apply_Fails_WhenOneCounterRowOfASetUpBucketIsMissing_AndWritesNoSubTask()
    {
        var (store, _) = Store();
        var subs = SubsInBucket("sub-gap", 9, notShardZero: true).Take(2).ToArray();
        await store.ApplyAsync(Push("downloading", subs[0], "op-gap", T0), CancellationToken.None);
        var partition = StorageKeys.TaskPartition("op-gap", 9);
        var counterRow = StorageKeys.CounterRow(StorageKeys.ShardOf(subs[1], StorageKeys.CounterShards));
        await Raw().DeleteEntityAsync(partition, counterRow);

        var (other, transport) = Store();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            other.ApplyAsync(Push("downloading", subs[1], "op-gap", T0), CancellationToken.None));

        Assert.Contains($"counter row {counterRow} of {partition} is missing", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, transport.Requests.Count(r => r.Path.EndsWith($"(PartitionKey='{partition}',RowKey='{counterRow}')", StringComparison.Ordinal)));
        Assert.False((await Raw().GetEntityIfExistsAsync<TableEntity>(partition, StorageKeys.SubTaskRow(subs[1]))).HasValue);
    }

    [Fact]
    public async Task Apply_SetsUpAgain_ATaskWhoseTaskRowIsMissing_WithoutRecountingBucketsThatHaveCounterRows()
    {
        var (store, _) = Store();
        await store.ApplyAsync(Push("downloading", "sub-r1", "op-again", T0), CancellationToken.None);
        var raw = Raw();
        await foreach (var row in raw.QueryAsync<TableEntity>(e => e.PartitionKey == StorageKeys.TasksPartition))
        {
            await raw.DeleteEntityAsync(row.PartitionKey, row.RowKey);
        }

        // Until a push finishes the set-up (the interrupted push's redelivery, or any other), a read finds no task and
        // writes nothing.
        var (other, transport) = Store();
        Assert.Null(await other.GetTaskAsync("op-again", 10, null, CancellationToken.None));
        Assert.Empty(EntityWrites(transport));
        transport.ClearRequests();

        await other.ApplyAsync(Push("downloading", "sub-r2", "op-again", T0.AddMinutes(1)), CancellationToken.None);

        Assert.Equal(0, Queries(transport));
        Assert.Equal(2, (await other.GetTaskAsync("op-again", 10, null, CancellationToken.None))!.Total);
    }

    /// <summary>The sub-tasks as the version without counter rows left them; the later one sorts, the earlier it was heard of.</summary>
    private async Task WriteEarlierLayout(string operationId, IEnumerable<string> subs)
    {
        var raw = Raw();
        await raw.CreateIfNotExistsAsync();
        var sorted = subs.Order(StringComparer.Ordinal).ToList();
        foreach (var (sub, rank) in sorted.Select((s, i) => (s, i)))
        {
            await EarlierLayout.WriteAsync(raw,
                UpgradeStateMachine.Apply(null, Push("downloading", sub, operationId, T0.AddMinutes(sorted.Count - rank)), 100).State);
        }
    }

    [Fact]
    public async Task GetTask_MigratesABucketOfMoreThanOneTransaction_InTransactionsOfAtMostAHundred()
    {
        var subs = SubsInBucket("sub-big", 3).Take(60).ToArray();
        await WriteEarlierLayout("op-big", subs);
        var (store, transport) = Store();

        var task = (await store.GetTaskAsync("op-big", 100, null, CancellationToken.None))!;

        Assert.Equal((60, 60), (task.Total, task.Phases["downloading"]));
        Assert.Equal((T0.AddMinutes(1), T0.AddMinutes(60)), (task.FirstUpdate, task.LastUpdate));
        Assert.True(SubTaskFilter.TryParse("downloading", out var downloading));
        var page = (await store.ListSubTasksAsync("op-big", downloading, 100, null, TimeSpan.FromHours(1), CancellationToken.None))!;
        Assert.Equal(subs.Order(StringComparer.Ordinal), page.SubTasks.Select(s => s.SubOperationId).Order(StringComparer.Ordinal));
        // Each sub-task is two operations (its row's index key, its index row): 100 in the first transaction, 20 in the
        // second, then the bucket's counter rows.
        var bucket = StorageKeys.TaskPartition("op-big", 3);
        var operations = transport.Transactions.Where(t => t.Contains(bucket, StringComparison.Ordinal))
            .Select(t => t.Split("Content-Type: application/http", StringSplitOptions.None).Length - 1).ToList();
        Assert.Equal([100, 20, StorageKeys.CounterShards], operations);
    }

    [Fact]
    public async Task GetTask_GivesUp_AfterMaxAttempts_WhenMigratingABucketConflictsEveryTime()
    {
        var subs = SubsInBucket("sub-mig", 5).Take(3).ToArray();
        await WriteEarlierLayout("op-mig", subs);
        var (store, transport) = Store();
        transport.FailTransactionsContaining(StorageKeys.TaskPartition("op-mig", 5), HttpStatusCode.PreconditionFailed, "UpdateConditionNotSatisfied");

        var e = await Assert.ThrowsAnyAsync<RequestFailedException>(() => store.GetTaskAsync("op-mig", 10, null, CancellationToken.None));

        Assert.Equal((412, UpgradeStateStore.MaxAttempts), (e.Status, transport.FailedWrites));
    }
}
