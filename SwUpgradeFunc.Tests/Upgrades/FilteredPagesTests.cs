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
    private async Task<(UpgradeStateStore Store, ScriptedTableTransport Transport, List<SubTaskState> States)> SeededAsync(int count = 4000)
    {
        var states = Enumerable.Range(0, count).Select(i => (i % 100) switch
        {
            0 => SeededTask.State(Op, i, UpgradePhase.Failed, i % 300 == 0 ? "E1" : "E2"),
            < 60 => SeededTask.State(Op, i, UpgradePhase.Succeeded),
            < 80 => SeededTask.State(Op, i, UpgradePhase.Downloading),
            < 90 => SeededTask.State(Op, i, UpgradePhase.Downloaded),
            _ => SeededTask.State(Op, i, UpgradePhase.Updating),
        }).ToList();
        await SeededTask.WriteAsync(new TableClient(AzuriteServer.ConnectionString, _table), Op, states);
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

    private static SubTaskFilter Filter(string name) => SubTaskFilter.TryParse(name, out var filter) ? filter : throw new ArgumentException(name);

    private static int Queries(ScriptedTableTransport transport) =>
        transport.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("()", StringComparison.Ordinal));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public async Task PagingASparsePhase_ReturnsEveryRowOnce_InOneStableOrder(int pageSize)
    {
        var (store, _, states) = await SeededAsync();

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
    /// 1 % failed of 4,000, a page of 100: each bucket is asked once, in windows of 1, 2, 4, 8 and 16 buckets (and the
    /// last one), so the page is six rounds of queries instead of 32 one after the other.
    /// </summary>
    [Fact]
    public async Task ASparsePage_IsOneQueryPerBucket_InWindowsThatDouble()
    {
        var (store, transport, _) = await SeededAsync();
        await store.ListSubTasksAsync(Op, Filter("failed"), 1, null, StalledAfter, CancellationToken.None);
        transport.ClearRequests();

        var page = (await store.ListSubTasksAsync(Op, Filter("failed"), 100, null, StalledAfter, CancellationToken.None))!;

        Assert.Equal(40, page.SubTasks.Count);
        Assert.Null(page.ContinuationToken);
        // The two point reads: the task row and the deletion tombstone.
        Assert.Equal(2, transport.Requests.Count(r => r.Method == "GET" && !r.Path.EndsWith("()", StringComparison.Ordinal)));
        Assert.Equal(StorageKeys.Buckets, Queries(transport));
        // The largest window, 16 buckets, is asked at once: more than the one before it could have had in flight.
        Assert.InRange(transport.MaxQueriesInFlight, (StorageKeys.Buckets / 4) + 1, StorageKeys.Buckets / 2);
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
