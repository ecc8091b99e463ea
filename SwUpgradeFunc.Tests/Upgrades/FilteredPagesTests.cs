using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// A filtered page reads its buckets' key ranges in parallel, in one round when the filter is sparse, and its continuation
/// tokens still resume exactly: every row once, in the same order whatever the page size. Against Azurite.
/// </summary>
public sealed class FilteredPagesTests
{
    private const string Op = "op-pages";
    private static readonly TimeSpan StalledAfter = TimeSpan.FromHours(1);
    private readonly string _table = AzuriteServer.NewName("pages");

    /// <summary>
    /// 4,000 sub-tasks: every 100th failed (1 %), 59 of each 100 succeeded, the rest unsettled in three phases; the
    /// unsettled ones last pushed minutes after <see cref="SeededTask.At"/>.
    /// </summary>
    private async Task<(UpgradeStateStore Store, ScriptedTableTransport Transport, List<SubTaskState> States)> SeededAsync(int count = 4000,
        bool keptLists = true)
    {
        var states = Enumerable.Range(0, count).Select(i => (i % 100) switch
        {
            0 => SeededTask.State(Op, i, UpgradePhase.Failed, i % 300 == 0 ? "E1" : "E2"),
            < 60 => SeededTask.State(Op, i, UpgradePhase.Succeeded),
            < 80 => SeededTask.State(Op, i, UpgradePhase.Downloading),
            < 90 => SeededTask.State(Op, i, UpgradePhase.Downloaded),
            _ => SeededTask.State(Op, i, UpgradePhase.Updating),
        }).ToList();
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        await SeededTask.WriteAsync(table, Op, states);
        if (!keptLists)
        {
            // As a task an earlier version filled: no counter row says the bucket keeps its failed list.
            for (var bucket = 0; bucket < StorageKeys.Buckets; bucket++)
            {
                await UnkeepAsync(table, bucket);
            }
        }

        var (service, transport) = ScriptedTableTransport.Create(AzuriteServer.ConnectionString);
        var time = new FixedTime(SeededTask.At.AddHours(2));
        return (new UpgradeStateStore(service, Options.Create(new UpgradesOptions { TableName = _table }), time), transport, states);
    }

    private static async Task<List<string>> AllPagesAsync(UpgradeStateStore store, SubTaskFilter filter, int pageSize)
    {
        var ids = new List<string>();
        string? token = null;
        do
        {
            var page = (await store.ListSubTasksAsync(Op, filter, pageSize, token, StalledAfter, CancellationToken.None))!;
            Assert.True(page.SubTasks.Count <= pageSize);
            Assert.True(page.SubTasks.Count == pageSize || page.ContinuationToken is null,
                "a page short of its size must be the last one");
            ids.AddRange(page.SubTasks.Select(r => r.SubOperationId));
            token = page.ContinuationToken;
        }
        while (token is not null);

        return ids;
    }

    /// <summary>Rewrites the bucket's counter rows as a writer that does not know the failed lists would: without the column that keeps them.</summary>
    private static async Task UnkeepAsync(TableClient table, int bucket, int shards = StorageKeys.CounterShards)
    {
        for (var shard = 0; shard < shards; shard++)
        {
            var row = (await table.GetEntityAsync<TableEntity>(StorageKeys.TaskPartition(Op, bucket), StorageKeys.CounterRow(shard))).Value;
            row.Remove("KeepsFailedList");
            await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
        }
    }

    private static SubTaskFilter Filter(string name) => SubTaskFilter.TryParse(name, out var filter) ? filter : throw new ArgumentException(name);

    private static int Queries(ScriptedTableTransport transport) =>
        transport.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("()", StringComparison.Ordinal));

    [Theory]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(7, true)]
    [InlineData(1000, true)]
    [InlineData(1, false)]
    [InlineData(7, false)]
    [InlineData(1000, false)]
    public async Task PagingASparsePhase_ReturnsEveryRowOnce_InOneStableOrder(int pageSize, bool keptLists)
    {
        var (store, _, states) = await SeededAsync(keptLists: keptLists);

        var ids = await AllPagesAsync(store, Filter("failed"), pageSize);
        var inOnePage = await AllPagesAsync(store, Filter("failed"), 1000);

        Assert.Equal(states.Where(s => s.Phase == UpgradePhase.Failed).Select(s => s.SubOperationId).Order(StringComparer.Ordinal),
            ids.Order(StringComparer.Ordinal));
        Assert.Equal(40, ids.Distinct().Count());
        Assert.Equal(inOnePage, ids);
    }

    [Theory]
    [InlineData("stalled", 9)]
    [InlineData("active", 97)]
    [InlineData("", 333)]
    public async Task PagingAFilterOfManyRanges_ReturnsEveryRowOnce(string filterName, int pageSize)
    {
        var (store, _, states) = await SeededAsync(1500);

        var ids = await AllPagesAsync(store, Filter(filterName), pageSize);

        var expected = filterName.Length == 0 ? states : [.. states.Where(s => s.Phase?.IsSettled() == false)];
        Assert.Equal(expected.Select(s => s.SubOperationId).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task PagingAnErrorCode_ReturnsEveryRowOfThatCodeOnce()
    {
        var (store, _, states) = await SeededAsync();

        var ids = await AllPagesAsync(store, Filter("failed").WithErrorCode("E1")!.Value, 2);

        Assert.Equal(states.Where(s => s.ErrorCode == "E1").Select(s => s.SubOperationId).Order(StringComparer.Ordinal),
            ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    /// <summary>
    /// 1 % failed of 4,000 in a task whose buckets keep no failed list, a page of 100: each bucket is asked once, in
    /// windows of 1, 2, 4, 8 and 16 buckets (and the last one), so the page is six rounds of queries instead of 32 one
    /// after the other.
    /// </summary>
    [Fact]
    public async Task ASparsePage_IsOneQueryPerBucket_InWindowsThatDouble()
    {
        var (store, transport, _) = await SeededAsync(keptLists: false);
        await store.ListSubTasksAsync(Op, Filter("failed"), 1, null, StalledAfter, CancellationToken.None);
        transport.ClearRequests();

        var page = (await store.ListSubTasksAsync(Op, Filter("failed"), 100, null, StalledAfter, CancellationToken.None))!;

        Assert.Equal(40, page.SubTasks.Count);
        Assert.Null(page.ContinuationToken);
        // The point reads: the task row, the deletion tombstone, and each bucket's failed list and counter rows, which
        // say that the bucket keeps no list.
        Assert.Equal(2 + (StorageKeys.Buckets * (StorageKeys.CounterShards + 1)),
            transport.Requests.Count(r => r.Method == "GET" && !r.Path.EndsWith("()", StringComparison.Ordinal)));
        Assert.Equal(StorageKeys.Buckets, Queries(transport));
        // The largest window, 16 buckets, is asked at once: more than the one before it could have had in flight.
        Assert.InRange(transport.MaxQueriesInFlight, (StorageKeys.Buckets / 4) + 1, StorageKeys.Buckets / 2);
    }

    /// <summary>
    /// The same page of a task whose buckets keep their failed lists is no query at all: per bucket its list and its
    /// counter rows (which say the list is kept), besides the task row and the tombstone, whatever the task's size.
    /// </summary>
    [Fact]
    public async Task AFailedPage_IsPointReadsOfTheBucketsLists_WhenTheyAreKept()
    {
        var (store, transport, states) = await SeededAsync();
        await store.ListSubTasksAsync(Op, Filter("failed"), 1, null, StalledAfter, CancellationToken.None);
        transport.ClearRequests();

        var page = (await store.ListSubTasksAsync(Op, Filter("failed"), 100, null, StalledAfter, CancellationToken.None))!;

        Assert.Equal(states.Where(s => s.Phase == UpgradePhase.Failed).Select(s => s.SubOperationId).Order(StringComparer.Ordinal),
            page.SubTasks.Select(r => r.SubOperationId).Order(StringComparer.Ordinal));
        Assert.Null(page.ContinuationToken);
        Assert.Equal(0, Queries(transport));
        Assert.Equal(2 + (StorageKeys.Buckets * (StorageKeys.CounterShards + 1)), transport.Requests.Count(r => r.Method == "GET"));
    }

    /// <summary>
    /// A bucket whose list overflowed, and one whose counter row a writer that does not know the lists rewrote, are read
    /// from their index rows (one query each); the pages are the same rows, column for column, in the same order.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(100)]
    public async Task BucketsWithoutAKeptList_AreReadFromTheirIndexRows_InTheSameOrder(int pageSize)
    {
        var (store, transport, _) = await SeededAsync();
        var listed = await AllRowsAsync(store, Filter("failed").WithErrorCode("E2")!.Value, pageSize);
        var buckets = listed.Select(r => StorageKeys.BucketOf(r.SubOperationId)).Distinct().Order().Take(2).ToArray();
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        var overflowed = new TableEntity(StorageKeys.TaskPartition(Op, buckets[0]), FailedList.Row) { ["Rows"] = "[]"u8.ToArray(), ["Overflowed"] = true };
        await table.UpsertEntityAsync(overflowed, TableUpdateMode.Replace);
        await UnkeepAsync(table, buckets[1], shards: 1);
        transport.ClearRequests();

        var read = await AllRowsAsync(store, Filter("failed").WithErrorCode("E2")!.Value, pageSize);

        Assert.Equal(listed, read);
        Assert.All(read, r => Assert.Equal("E2", r.ErrorCode));
        Assert.InRange(Queries(transport), 2, 2 * ((listed.Count / pageSize) + 1));
    }

    private static async Task<List<SubTaskRow>> AllRowsAsync(UpgradeStateStore store, SubTaskFilter filter, int pageSize)
    {
        var rows = new List<SubTaskRow>();
        string? token = null;
        do
        {
            var page = (await store.ListSubTasksAsync(Op, filter, pageSize, token, StalledAfter, CancellationToken.None))!;
            rows.AddRange(page.SubTasks);
            token = page.ContinuationToken;
        }
        while (token is not null);

        return rows;
    }

    /// <summary>A dense list is one query: the first bucket fills the page, and no other bucket is asked.</summary>
    [Fact]
    public async Task ADensePage_IsOneQueryOfItsFirstBucket()
    {
        var (store, transport, _) = await SeededAsync();
        await store.ListSubTasksAsync(Op, SubTaskFilter.All, 1, null, StalledAfter, CancellationToken.None);
        transport.ClearRequests();
        var before = transport.RowsQueried;

        var page = (await store.ListSubTasksAsync(Op, SubTaskFilter.All, 100, null, StalledAfter, CancellationToken.None))!;

        Assert.Equal(100, page.SubTasks.Count);
        Assert.Equal(1, Queries(transport));
        Assert.Equal(100, transport.RowsQueried - before);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
