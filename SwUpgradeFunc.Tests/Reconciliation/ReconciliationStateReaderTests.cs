using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Reconciliation;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Reconciliation;

/// <summary>The reads reconciliation makes, across more than one page of the task list and of a task's sub-tasks.</summary>
public sealed class ReconciliationStateReaderTests : IDisposable
{
    private readonly UpgradeStateStore _store = new(new TableServiceClient(AzuriteServer.ConnectionString),
        Options.Create(new UpgradesOptions { TableName = AzuriteServer.NewName("reader") }));

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task FindTasksWithStalledSubTasks_WalksEveryPageOfTheTaskList()
    {
        var longAgo = DateTimeOffset.UtcNow.AddHours(-3);
        for (var t = 1; t <= 5; t++)
        {
            var op = $"op-find-{t}";
            // Odd tasks keep a sub-task in downloading since three hours ago; even ones settled.
            await _store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", $"find-{t}", op, $"sub-find-{t}"), longAgo.AddMinutes(t)),
                CancellationToken.None);
            if (t % 2 == 0)
            {
                await _store.ApplyAsync(Envelopes.Of(Pushes.SwResult("SUCCESS", $"find-{t}", op, $"sub-find-{t}"), longAgo.AddMinutes(t + 1)),
                    CancellationToken.None);
            }
        }

        var reader = new ReconciliationStateReader(_store) { TaskPageSize = 2 };
        var found = await reader.FindTasksWithStalledSubTasksAsync(TimeSpan.FromHours(1), longAgo.AddDays(-1), CancellationToken.None);

        Assert.Equal(["op-find-1", "op-find-3", "op-find-5"], found.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FindTasksWithStalledSubTasks_SkipsTasksLastActiveBeforeTheWindow_AndTakesOneActiveAtItsStart()
    {
        var longAgo = DateTimeOffset.UtcNow.AddDays(-10);
        for (var t = 1; t <= 3; t++)
        {
            // All three stalled; op-win-1 last pushed ten days ago, op-win-2 exactly at the window's start, op-win-3 after it.
            await _store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", $"win-{t}", $"op-win-{t}", $"sub-win-{t}"), longAgo.AddDays(t - 1)),
                CancellationToken.None);
        }

        var listed = await _store.ListTasksAsync(10, null, TimeSpan.FromHours(1), CancellationToken.None);
        var windowStart = listed.Tasks.Single(t => t.OperationId == "op-win-2").LastUpdate;
        var found = await new ReconciliationStateReader(_store) { TaskPageSize = 1 }
            .FindTasksWithStalledSubTasksAsync(TimeSpan.FromHours(1), windowStart, CancellationToken.None);

        Assert.Equal(["op-win-3", "op-win-2"], found);
    }

    [Fact]
    public async Task ReadPhases_ReadsEveryPage_AndGivesNullForASubTaskWithOnlyUnknownStates()
    {
        const string op = "op-phases";
        for (var d = 0; d < 5; d++)
        {
            await _store.ApplyAsync(Envelopes.Of(Pushes.SwState("updating", $"ph-{d}", op, $"sub-ph-{d}")), CancellationToken.None);
        }

        await _store.ApplyAsync(Envelopes.Of(Pushes.SwResult("FAIL", "ph-1", op, "sub-ph-1")), CancellationToken.None);
        await _store.ApplyAsync(Envelopes.Of(Pushes.SwState("otacreated", "ph-x", op, "sub-ph-x")), CancellationToken.None);

        var phases = await new ReconciliationStateReader(_store) { PhasePageSize = 2 }.ReadPhasesAsync(op, CancellationToken.None);

        Assert.Equal(6, phases.Count);
        Assert.Equal("failed", phases["sub-ph-1"]);
        Assert.Equal(["updating"], phases.Where(p => p.Key is not ("sub-ph-1" or "sub-ph-x")).Select(p => p.Value).Distinct());
        Assert.Null(phases["sub-ph-x"]);
        Assert.Empty(await new ReconciliationStateReader(_store).ReadPhasesAsync("op-nobody-pushed", CancellationToken.None));
    }
}
