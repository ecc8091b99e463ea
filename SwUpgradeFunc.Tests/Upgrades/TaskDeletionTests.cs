using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>Deleting a task in bounded steps, against Azurite, with a fake clock for the settle time and the push grace.</summary>
public sealed class TaskDeletionTests : IDisposable
{
    private readonly string _table = AzuriteServer.NewName("del");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));
    private readonly List<UpgradeStateStore> _stores = [];

    public void Dispose() => _stores.ForEach(s => s.Dispose());

    /// <summary>A store as one instance of the app has it; two of them stand for two instances.</summary>
    private UpgradeStateStore Store()
    {
        var store = new UpgradeStateStore(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = _table }), _time);
        _stores.Add(store);
        return store;
    }

    private TableClient Table => new(AzuriteServer.ConnectionString, _table);

    /// <summary>Every row of the table, as partition and row key, with the operation a device-index row points to.</summary>
    private async Task<List<(string Partition, string Row, string? OperationId)>> AllRowsAsync() =>
        await Table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey", "OperationId"])
            .Select(e => (e.PartitionKey, e.RowKey, (string?)e.GetString("OperationId"))).ToListAsync();

    /// <summary>A task of <paramref name="count"/> sub-tasks on devices big-0.., as the store leaves them, with their device-index rows.</summary>
    private async Task SeedAsync(string operationId, int count)
    {
        var at = _time.GetUtcNow().AddDays(-1);
        var states = Enumerable.Range(0, count).Select(i => new SubTaskState
        {
            OperationId = operationId,
            SubOperationId = $"sub-{operationId}-{i}",
            DeviceId = $"big-{i}",
            AppId = "app",
            Kind = UpgradeKinds.Software,
            Phase = i % 3 == 0 ? UpgradePhase.Succeeded : UpgradePhase.Downloading,
            LastState = SoftwareUpgradeStates.Downloading,
            FirstUpdate = at,
            LastUpdate = at.AddMinutes(i % 7),
        }).ToList();
        var rows = SeededRows.RowsOf(operationId, states)
            .Concat(states.Select(s => StateEntities.DeviceIndexEntity(s.DeviceId, operationId, s.SubOperationId)))
            // A row of a kind this test does not know of: deletion removes whatever the task's partitions hold.
            .Append(new TableEntity(StorageKeys.TaskPartition(operationId, 5), "z|some later kind"))
            // The task's reconciliation back-off row, in the tasks partition.
            .Append(new TableEntity(StorageKeys.TasksPartition, StorageKeys.ReconcileBackOffRow(operationId)));
        var batches = rows.GroupBy(r => r.PartitionKey).SelectMany(p => p.Chunk(100)).ToArray();
        await Table.CreateIfNotExistsAsync();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await Table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct));
    }

    private static Task<Transition> PushAsync(UpgradeStateStore store, string state, string device, string operationId) =>
        store.ApplyAsync(Envelopes.Of(Pushes.SwState(state, device, operationId, $"sub-{operationId}-{device}")), CancellationToken.None);

    /// <summary>Calls until done, each call bounded; the number of calls and the most one removed.</summary>
    private async Task<(int Calls, int MostInOneCall, int Total)> DeleteUntilDoneAsync(UpgradeStateStore store, string operationId, int maxRows)
    {
        var (calls, most, total) = (0, 0, 0);
        while (true)
        {
            var step = await store.DeleteTaskAsync(operationId, maxRows, CancellationToken.None);
            Assert.NotNull(step);
            calls++;
            most = Math.Max(most, step.DeletedRows);
            total += step.DeletedRows;
            if (step.Done)
            {
                return (calls, most, total);
            }

            Assert.True(calls < 100, "the deletion does not end");
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task Delete_RemovesEveryRowOfALargeTask_InBoundedCalls_AndLeavesAnotherTaskUntouched()
    {
        const int subTasks = 3_000;
        await SeedAsync("op-big", subTasks);
        var store = Store();
        // Another task on some of the same devices, written by pushes.
        for (var d = 0; d < 3; d++)
        {
            await PushAsync(store, "downloading", $"big-{d}", "op-keep");
        }

        var before = await AllRowsAsync();
        var (calls, most, total) = await DeleteUntilDoneAsync(store, "op-big", 4_000);

        var after = await AllRowsAsync();
        // Every row of its buckets (sub-task, index, counter, timeline rows and the extra row), a device-index row per
        // sub-task, the task, activity and back-off rows.
        var inBuckets = before.Count(r => r.Partition.StartsWith("op|op-big|", StringComparison.Ordinal));
        Assert.True(inBuckets >= subTasks * 2 + 96 + 1, $"{inBuckets} rows in the buckets");
        Assert.Equal(inBuckets + subTasks + 3, total);
        Assert.True(calls >= 3, $"{calls} calls");
        Assert.True(most <= 4_000, $"{most} rows in one call");
        Assert.DoesNotContain(after, r => r.Partition.StartsWith("op|op-big|", StringComparison.Ordinal));
        Assert.DoesNotContain(after, r => r.OperationId == "op-big" && r.Row != StorageKeys.TaskTombstoneRow("op-big"));
        Assert.Equal([StorageKeys.TaskTombstoneRow("op-big")], after.Where(r => r.Row.EndsWith("op-big", StringComparison.Ordinal)).Select(r => r.Row));
        // Everything of the other task is where it was.
        Assert.Equal(before.Where(r => r.OperationId == "op-keep" || r.Partition.StartsWith("op|op-keep|", StringComparison.Ordinal)).Order(),
            after.Where(r => r.OperationId == "op-keep" || r.Partition.StartsWith("op|op-keep|", StringComparison.Ordinal)).Order());
        Assert.Equal(3, (await store.GetTaskAsync("op-keep", 10, null, CancellationToken.None))!.Total);
        Assert.Equal(["op-keep"], (await store.GetDeviceAsync("big-1", CancellationToken.None))!.SubTasks.Select(s => s.OperationId));
        Assert.Null(await store.GetTaskAsync("op-big", 10, null, CancellationToken.None));
    }

    [Fact]
    public async Task Delete_HidesTheTaskFromEveryRead_AsSoonAsItStarts()
    {
        var store = Store();
        await PushAsync(store, "downloading", "dev-h", "op-hide");
        await PushAsync(store, "downloading", "dev-k", "op-other");

        var first = await store.DeleteTaskAsync("op-hide", 1, CancellationToken.None);

        Assert.False(first!.Done);
        Assert.Null(await store.GetTaskAsync("op-hide", 10, null, CancellationToken.None));
        Assert.Null(await store.ListSubTasksAsync("op-hide", SubTaskFilter.All, 10, null, TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Null(await store.GetDeviceAsync("dev-h", CancellationToken.None));
        Assert.Equal(["op-other"], (await store.ListTasksAsync(20, null, TimeSpan.FromHours(1), CancellationToken.None)).Tasks.Select(t => t.OperationId));
    }

    [Fact]
    public async Task Delete_IsNull_ForAnUnknownTask_AndDoneAgain_ForADeletedOne()
    {
        var store = Store();
        await PushAsync(store, "downloading", "dev-u", "op-once");

        Assert.Null(await store.DeleteTaskAsync("op-never", 4_000, CancellationToken.None));
        await DeleteUntilDoneAsync(store, "op-once", 4_000);
        var again = await store.DeleteTaskAsync("op-once", 4_000, CancellationToken.None);

        Assert.Equal((0, true), (again!.DeletedRows, again.Done));
    }

    [Fact]
    public async Task Delete_DoesNotEnd_BeforeTheSettleTime_SoThatAPushAlreadyPastItsCheckIsRemovedToo()
    {
        var store = Store();
        await PushAsync(store, "downloading", "dev-s", "op-settle");

        var early = await store.DeleteTaskAsync("op-settle", 4_000, CancellationToken.None);
        // A push of another instance that had read "no tombstone" just before, landing after the first pass.
        await Table.UpsertEntityAsync(new TableEntity(StorageKeys.TaskPartition("op-settle", "sub-late"), StorageKeys.SubTaskRow("sub-late")));
        _time.Advance(TaskDeletion.SettleTime);
        var last = await store.DeleteTaskAsync("op-settle", 4_000, CancellationToken.None);

        Assert.False(early!.Done);
        Assert.True(last!.Done);
        Assert.DoesNotContain(await AllRowsAsync(), r => r.Partition.StartsWith("op|op-settle|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Push_IsRefused_WhileDeletingAndDuringTheGrace_ThenStartsTheTaskAfresh()
    {
        var store = Store();
        await PushAsync(store, "downloading", "dev-1", "op-late");
        await PushAsync(store, "downloading", "dev-2", "op-late");

        await store.DeleteTaskAsync("op-late", 1, CancellationToken.None);
        await Assert.ThrowsAsync<TaskDeletedException>(() => PushAsync(store, "downloaded", "dev-1", "op-late"));
        await DeleteUntilDoneAsync(store, "op-late", 4_000);
        _time.Advance(TaskDeletion.PushGrace - TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<TaskDeletedException>(() => PushAsync(store, "downloaded", "dev-1", "op-late"));
        _time.Advance(TimeSpan.FromMinutes(2));
        await PushAsync(store, "downloaded", "dev-1", "op-late");

        var progress = await store.GetTaskAsync("op-late", 10, null, CancellationToken.None);
        Assert.Equal(1, progress!.Total);
        Assert.DoesNotContain(await AllRowsAsync(), r => r.Row == StorageKeys.TaskTombstoneRow("op-late"));
    }

    [Fact]
    public async Task Push_OfAnInstanceThatRememberedTheDeletedTask_CountsInTheNewTaskExactly()
    {
        var (a, b) = (Store(), Store());
        await PushAsync(b, "downloading", "dev-1", "op-two");
        await PushAsync(b, "downloading", "dev-2", "op-two");

        await DeleteUntilDoneAsync(a, "op-two", 4_000);
        _time.Advance(TaskDeletion.PushGrace + TimeSpan.FromMinutes(1));
        await PushAsync(a, "downloading", "dev-3", "op-two");
        // b still remembers the sub-task rows, counter rows and task row it wrote before the deletion.
        await PushAsync(b, "downloaded", "dev-1", "op-two");

        var progress = await a.GetTaskAsync("op-two", 10, null, CancellationToken.None);
        Assert.Equal(2, progress!.Total);
        Assert.Equal(["sub-op-two-dev-1", "sub-op-two-dev-3"], progress.SubTasks.Select(s => s.SubOperationId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Processor_PoisonsAPushOfADeletedTask_WithTheReasonLogged()
    {
        var store = Store();
        var queueName = AzuriteServer.NewName("del-");
        var queueOptions = Options.Create(new NotificationQueueOptions { QueueName = queueName });
        var logger = new FakeLogger<NotificationProcessor>();
        using var meters = new TestMeterFactory();
        var poison = new StoragePoisonQueue(new QueueServiceClient(AzuriteServer.ConnectionString,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }), queueOptions);
        var processor = new NotificationProcessor(store, poison, new RecordingEventPublisher(), queueOptions,
            Options.Create(new UpgradesOptions { TableName = _table }), new SwUpgradeMetrics(meters), logger);
        await PushAsync(store, "downloading", "dev-p", "op-poison");
        await store.DeleteTaskAsync("op-poison", 1, CancellationToken.None);
        var late = Envelopes.Json(Envelopes.Of(Pushes.SwState("downloaded", "dev-p", "op-poison", "sub-op-poison-dev-p")));

        var outcome = await processor.ProcessAsync(late, "m-late", 1, CancellationToken.None);

        Assert.Equal(ProcessOutcome.Poisoned, outcome);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains("task deleted", StringComparison.Ordinal));
        var raw = new QueueClient(AzuriteServer.ConnectionString, queueName + "-poison");
        var message = Assert.Single((await raw.PeekMessagesAsync(32)).Value);
        Assert.Equal(late, Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString())));
    }
}
