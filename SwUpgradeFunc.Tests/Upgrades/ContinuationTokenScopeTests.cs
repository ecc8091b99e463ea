using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// What a continuation token's check guarantees beyond its scope: the table cursor inside it is not signed, so an altered
/// cursor may move within the task's rows, but the query stays bound to the task, and a cursor the table refuses is a bad token.
/// </summary>
public sealed class ContinuationTokenScopeTests
{
    private readonly string _table = AzuriteServer.NewName("tokens");

    private UpgradeStateStore Store() =>
        new(new TableServiceClient(AzuriteServer.ConnectionString), Options.Create(new UpgradesOptions { TableName = _table }));

    [Fact]
    public async Task ListSubTasks_WithTheCursorOfAnotherTask_InItsOwnScope_ShowsOnlyItsOwnTasksRows()
    {
        var store = Store();
        var stalledAfter = store.DefaultStalledAfter;
        for (var d = 0; d < 40; d++)
        {
            await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", $"own-{d}", "op-own", $"own-sub-{d}")), CancellationToken.None);
            await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", $"other-{d}", "op-other", $"other-sub-{d}")), CancellationToken.None);
        }

        var (segment, otherCursor) = await FirstTableCursorAsync(store, "op-other", stalledAfter);
        var forged = ContinuationTokens.Format(
            ContinuationTokens.Scope("subtasks", "op-own", SubTaskFilter.All, stalledAfter), segment, otherCursor);

        var rows = new List<SubTaskRow>();
        for (var token = forged; token is not null;)
        {
            var page = await store.ListSubTasksAsync("op-own", SubTaskFilter.All, 50, token, stalledAfter, CancellationToken.None);
            rows.AddRange(page!.SubTasks);
            token = page.ContinuationToken;
        }

        Assert.NotEmpty(rows);
        Assert.All(rows, row => Assert.StartsWith("own-", row.DeviceId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListSubTasks_WithACursorTheTableRefuses_IsABadToken_NeverAnotherError()
    {
        var store = Store();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-t", "op-t", "sub-t")), CancellationToken.None);
        var forged = ContinuationTokens.Format(
            ContinuationTokens.Scope("subtasks", "op-t", SubTaskFilter.All, store.DefaultStalledAfter), 0, "not a table cursor");

        var outcome = await Record.ExceptionAsync(() =>
            store.ListSubTasksAsync("op-t", SubTaskFilter.All, 10, forged, store.DefaultStalledAfter, CancellationToken.None));

        // Azurite may read the text as a position instead of refusing it; either way the answer is about this task only.
        Assert.True(outcome is null or InvalidContinuationTokenException, $"unexpected {outcome?.GetType().Name}: {outcome?.Message}");
    }

    /// <summary>A token of the task whose table cursor is set: a page cut short inside a bucket.</summary>
    private static async Task<(int Segment, string Cursor)> FirstTableCursorAsync(UpgradeStateStore store, string operationId, TimeSpan stalledAfter)
    {
        var scope = ContinuationTokens.Scope("subtasks", operationId, SubTaskFilter.All, stalledAfter);
        for (var token = (string?)null; ;)
        {
            var page = await store.ListSubTasksAsync(operationId, SubTaskFilter.All, 1, token, stalledAfter, CancellationToken.None);
            token = page!.ContinuationToken ?? throw new InvalidOperationException("no page was cut short inside a bucket");
            var (segment, cursor) = ContinuationTokens.Parse(scope, token, StorageKeys.Buckets);
            if (cursor is not null)
            {
                return (segment, cursor);
            }
        }
    }
}
