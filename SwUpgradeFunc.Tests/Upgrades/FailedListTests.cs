using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// Each bucket's failed list against the failed index rows it copies: after random interleavings on two processors with
/// redeliveries, re-pushes and reordering (against Azurite), and its bound (in memory).
/// </summary>
public sealed class FailedListTests
{
    private readonly string _table = AzuriteServer.NewName("failedlist");

    private UpgradeStateStore Store() =>
        new(new TableServiceClient(AzuriteServer.ConnectionString), Options.Create(new UpgradesOptions { TableName = _table }), TimeProvider.System);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Lists_HoldExactlyTheFailedIndexRows_AfterRandomInterleavingsOnTwoProcessors(int seed)
    {
        var random = new Random(seed);
        var operationId = $"op-fl-{seed}";
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        var messages = new List<NotificationEnvelope>();
        for (var d = 0; d < 60; d++)
        {
            var lifecycle = Envelopes.Lifecycle(random.Next(2) == 0, random.Next(2) == 0 ? "FAIL" : "SUCCESS", deviceId: $"dev-{seed}-{d}",
                operationId: operationId, withResult: random.Next(5) != 0);
            foreach (var envelope in lifecycle.Take(random.Next(2) == 0 ? lifecycle.Count : random.Next(1, lifecycle.Count + 1))
                         .Select(e => NotificationEnvelope.Create(e.Notification, at = at.AddSeconds(random.Next(1, 30)))))
            {
                messages.AddRange(TwoProcessors.WithRedeliveries(envelope, random, r => TimeSpan.FromSeconds(r.Next(1, 90))));
            }
        }

        using var first = Store();
        using var second = Store();
        await TwoProcessors.ApplyShuffledAsync(first, second, messages, random);

        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        var failed = 0;
        for (var bucket = 0; bucket < StorageKeys.Buckets; bucket++)
        {
            var partition = StorageKeys.TaskPartition(operationId, bucket);
            var indexRows = new List<SubTaskRow>();
            var keys = new List<string>();
            await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter(
                               $"PartitionKey eq {partition} and RowKey ge {StorageKeys.PhaseIndexStart("failed")} and RowKey lt {StorageKeys.PhaseIndexStop("failed")}")))
            {
                keys.Add(row.RowKey);
                indexRows.Add(StateEntities.ToRow(row, 0));
            }

            var stored = await table.GetEntityIfExistsAsync<TableEntity>(partition, FailedList.Row);
            var list = stored.HasValue ? FailedList.From(stored.Value!) : new FailedList();
            Assert.False(list.Overflowed);
            Assert.Equal(keys, list.Rows.Select(r => r.Key));
            Assert.Equal(indexRows, list.Rows.Select(r => r.ToRow()));
            Assert.True(CounterShard.From((await table.GetEntityAsync<TableEntity>(partition, StorageKeys.CounterRow(0))).Value).KeepsFailedList);
            failed += keys.Count;
        }

        Assert.InRange(failed, 3, 60);
        Assert.True(SubTaskFilter.TryParse("failed", out var filter));
        var page = (await first.ListSubTasksAsync(operationId, filter, 100, null, TimeSpan.FromHours(1), CancellationToken.None))!;
        Assert.Equal(failed, page.SubTasks.Count);
        Assert.Equal(failed, (await first.GetTaskAsync(operationId, 1, null, CancellationToken.None))!.Phases["failed"]);
    }

    [Fact]
    public void Apply_ListsAFailedSubTask_AndDropsItWhenItLeavesFailed()
    {
        var list = new FailedList();
        var failed = SeededTask.State("op", 1, UpgradePhase.Failed, "E9");
        var failedRow = StorageKeys.IndexRow(CountedState.Of(failed), failed.SubOperationId);

        Assert.True(list.Apply([], failedRow, failed));
        Assert.False(list.Apply([failedRow], failedRow, failed));
        Assert.Equal([failedRow], list.Rows.Select(r => r.Key));
        Assert.Equal("E9", list.Rows.Single().ErrorCode);

        var succeeded = SeededTask.State("op", 1, UpgradePhase.Succeeded);
        Assert.True(list.Apply([failedRow], StorageKeys.IndexRow(CountedState.Of(succeeded), succeeded.SubOperationId), succeeded));
        Assert.Empty(list.Rows);
    }

    [Fact]
    public void Apply_EmptiesTheListForGood_WhenItWouldPassItsBound()
    {
        var list = new FailedList();
        var states = Enumerable.Range(0, 20).Select(i => SeededTask.State("op", i, UpgradePhase.Failed, "E1", new string('x', 100))).ToList();
        var added = 0;
        foreach (var state in states)
        {
            list.Apply([], StorageKeys.IndexRow(CountedState.Of(state), state.SubOperationId), state, maxBytes: 2048);
            if (!list.Overflowed)
            {
                added++;
            }
        }

        Assert.InRange(added, 5, 15);
        Assert.True(list.Overflowed);
        Assert.Empty(list.Rows);
        var entity = list.ToEntity("p");
        Assert.True(FailedList.From(entity).Overflowed);
        Assert.False(list.Apply([], "p|failed|sub-99999", states[0], maxBytes: 2048));
        Assert.True(FailedList.MaxBytes < 64 * 1024);
    }
}
