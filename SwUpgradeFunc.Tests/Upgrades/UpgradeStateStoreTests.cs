using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>The table store against a real Azurite.</summary>
public sealed class UpgradeStateStoreTests
{
    private readonly string _table = AzuriteServer.NewName("state");

    private UpgradeStateStore Store() =>
        new(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = _table, HistoryLimit = 100 }));

    [Fact]
    public async Task Apply_StoresTheSubTask_AndFindsItByDevice()
    {
        var store = Store();
        foreach (var envelope in Envelopes.Lifecycle(firmware: false, "SUCCESS", deviceId: "dev-a", operationId: "op-a"))
        {
            await store.ApplyAsync(envelope, CancellationToken.None);
        }

        var device = await store.GetDeviceAsync("dev-a", CancellationToken.None);

        var subTask = Assert.Single(device!.SubTasks);
        Assert.Equal(("op-a", "sub-dev-a", "succeeded", "SUCCESS", "software"),
            (subTask.OperationId, subTask.SubOperationId, subTask.Phase, subTask.Result, subTask.Kind));
        Assert.Equal(["downloading", "downloaded", "updating", "idle", "SUCCESS"], subTask.History.Select(h => h.Value));
    }

    /// <summary>
    /// Every field of a sub-task comes back from the table as the state machine left it (the device view shows all but
    /// the settling instant and the duplicate signatures, which decide what a later push is).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetDevice_ReadsBackEverySubTaskField_AsTheStateMachineLeftIt(bool firmware)
    {
        var result = firmware ? Pushes.FwResult("FAIL", "dev-rt", "op-rt", "sub-rt") : Pushes.SwResult("FAIL", "dev-rt", "op-rt", "sub-rt");
        result[firmware ? "statusDesc" : "resultDesc"] = "flash write failed";
        if (!firmware)
        {
            result["errorCode"] = "E42";
        }

        var first = Envelopes.Of(firmware ? Pushes.FwState("1", "dev-rt", "op-rt", "sub-rt") : Pushes.SwState("downloading", "dev-rt", "op-rt", "sub-rt"));
        var pushes = new[]
        {
            first,
            Envelopes.Repush(first),
            Envelopes.Of(firmware ? Pushes.FwState("3", "dev-rt", "op-rt", "sub-rt") : Pushes.SwState("updating", "dev-rt", "op-rt", "sub-rt")),
            Envelopes.Of(result),
        };
        var store = new UpgradeStateStore(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = _table, HistoryLimit = 2 }));
        SubTaskState? expected = null;
        foreach (var push in pushes)
        {
            expected = UpgradeStateMachine.Apply(expected, push, 2).State;
            await store.ApplyAsync(push, historyLimit: 2, CancellationToken.None);
        }

        var stored = Assert.Single((await store.GetDeviceAsync("dev-rt", CancellationToken.None))!.SubTasks);
        Assert.Equal(JsonSerializer.Serialize(SubTaskDetail.From(expected!)), JsonSerializer.Serialize(stored));
        Assert.True(stored is { Duplicates: 1, SkippedSteps: true, HistoryDropped: > 0, UpgradeTime: not null, Result: "FAIL" });
        Assert.Equal("flash write failed", stored.ResultDesc);
        var entity = StateEntities.ToEntity(expected!, "p", "r");
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(StateEntities.ToState(entity)));
        Assert.NotNull(expected!.SettledAt);

        // Read back by an instance that never saw it, the result is still known as seen: pushed again, it is a duplicate.
        var other = Store();
        var again = await other.ApplyAsync(Envelopes.Repush(pushes[^1]), CancellationToken.None);
        Assert.True(again.IsDuplicate);
        Assert.Equal(2, Assert.Single((await other.GetDeviceAsync("dev-rt", CancellationToken.None))!.SubTasks).Duplicates);
    }

    [Theory]
    [InlineData(true, "firmware")]
    [InlineData(false, "software")]
    public async Task Apply_RecordsTheTasksKind_FromItsFirstPush(bool firmware, string kind)
    {
        var store = Store();
        var operationId = $"op-kind-{kind}";

        await store.ApplyAsync(Envelopes.Lifecycle(firmware, "SUCCESS", deviceId: $"dev-{kind}", operationId: operationId)[0],
            CancellationToken.None);

        var progress = await Store().GetTaskAsync(operationId, 10, null, CancellationToken.None);
        var listed = await Store().ListTasksAsync(10, null, TimeSpan.FromMinutes(30), CancellationToken.None);
        Assert.Equal((kind, kind), (progress!.Kind, Assert.Single(listed.Tasks).Kind));
    }

    /// <summary>A task first met through reconciliation takes the kind the platform's task gave, like its sub-task.</summary>
    [Theory]
    [InlineData("firmware", "firmware")]
    [InlineData("software", "software")]
    [InlineData(null, "unknown")]
    public async Task Apply_RecordsTheTasksKind_FromAReconciliationThatCreatesIt(string? platformKind, string kind)
    {
        var store = Store();
        var operationId = $"op-rkind-{kind}";
        var envelope = NotificationEnvelope.CreateReconciliation("app-1", operationId, "sub-rkind", "dev-rkind",
            new ReconciliationDetail { PlatformStatus = "success", Kind = platformKind, Source = "api" }, DateTimeOffset.UtcNow);

        await store.ApplyAsync(envelope, CancellationToken.None);

        var progress = await Store().GetTaskAsync(operationId, 10, null, CancellationToken.None);
        var device = await Store().GetDeviceAsync("dev-rkind", CancellationToken.None);
        Assert.Equal((kind, kind), (progress!.Kind, Assert.Single(device!.SubTasks).Kind));
    }

    /// <summary>Rows of the earliest layout may lack the kind: a read takes the task over as software, and does not fail.</summary>
    [Fact]
    public async Task GetTask_TakesOverEarlierRowsWithoutAKind_AsASoftwareTask()
    {
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        await table.CreateIfNotExistsAsync();
        var state = UpgradeStateMachine.Apply(null, Envelopes.Of(Pushes.SwState("downloading", "dev-nokind", "op-nokind", "sub-nokind")), 100).State;
        await EarlierLayout.WriteAsync(table, state);
        var row = (await table.GetEntityAsync<TableEntity>(StorageKeys.TaskPartition("op-nokind", "sub-nokind"), StorageKeys.SubTaskRow("sub-nokind"))).Value;
        row.Remove("Kind");
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);

        var progress = await Store().GetTaskAsync("op-nokind", 10, null, CancellationToken.None);

        Assert.Equal(("software", 1), (progress!.Kind, progress.Total));
    }

    [Fact]
    public async Task Apply_ManyPushesOfOneDeviceInParallel_RecordsEachExactlyOnce()
    {
        // Several processors (each with its own client) on the same sub-task at once: the ETag retries must lose nothing.
        var lifecycle = Envelopes.Lifecycle(firmware: true, "FAIL", deviceId: "dev-hot", operationId: "op-hot");
        var extra = Enumerable.Range(0, 35).Select(i => Envelopes.Of(Pushes.FwState("9" + i, "dev-hot", "op-hot", "sub-dev-hot")));
        var distinct = lifecycle.Concat(extra).ToArray();
        var arrivals = distinct.Concat(distinct.Take(10)).Concat(distinct.Skip(5).Take(5).Select(Envelopes.Repush)).ToArray();
        var stores = Enumerable.Range(0, 4).Select(_ => Store()).ToArray();

        await Task.WhenAll(arrivals.Select((e, i) => Task.Run(() => stores[i % stores.Length].ApplyAsync(e, CancellationToken.None))));

        var subTask = Assert.Single((await Store().GetDeviceAsync("dev-hot", CancellationToken.None))!.SubTasks);
        // Each distinct push once: a platform re-push may win the race against its original, so compare by content.
        Assert.Equal(distinct.Select(e => e.Notification.Step ?? e.Notification.Status).Order(StringComparer.Ordinal),
            subTask.History.Select(h => h.Value).Order(StringComparer.Ordinal));
        Assert.Equal(subTask.History.Count, subTask.History.Select(h => h.EnvelopeId).Distinct().Count());
        Assert.Equal(15, subTask.Duplicates);
        Assert.Equal(("failed", "FAIL"), (subTask.Phase, subTask.Result));
        var progress = await Store().GetTaskAsync("op-hot", 10, null, CancellationToken.None);
        Assert.Equal(1, progress!.Phases["failed"]);
        Assert.Equal(1, progress.Total);
    }

    [Fact]
    public async Task Apply_FromAnInstanceWhoseRememberedStateIsStale_RereadsAndLosesNothing()
    {
        using var first = Store();
        using var second = Store();
        var lifecycle = Envelopes.Lifecycle(firmware: false, "SUCCESS", deviceId: "dev-two", operationId: "op-two");

        await first.ApplyAsync(lifecycle[0], CancellationToken.None);
        await second.ApplyAsync(lifecycle[1], CancellationToken.None);
        await first.ApplyAsync(lifecycle[2], CancellationToken.None);
        await second.ApplyAsync(lifecycle[3], CancellationToken.None);

        var subTask = Assert.Single((await Store().GetDeviceAsync("dev-two", CancellationToken.None))!.SubTasks);
        Assert.Equal(["downloading", "downloaded", "updating", "idle"], subTask.History.Select(h => h.Value));
        Assert.Equal("idle", subTask.Phase);
    }

    [Fact]
    public async Task GetTask_CountsPhasesOverTheWholeTask_AndPagesThroughEverySubTask()
    {
        var store = Store();
        var pushes = new List<NotificationEnvelope>();
        for (var d = 0; d < 60; d++)
        {
            var lifecycle = Envelopes.Lifecycle(d % 2 == 0, d % 3 == 0 ? "FAIL" : "SUCCESS", deviceId: $"dev-{d}", operationId: "op-fleet");
            // Devices 0-19 settled, 20-39 stopped at updating, 40-59 only downloading.
            pushes.AddRange(d < 20 ? lifecycle : d < 40 ? lifecycle.Take(3) : lifecycle.Take(1));
        }

        await Parallel.ForEachAsync(pushes.OrderBy(_ => Random.Shared.Next()), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (e, ct) => await store.ApplyAsync(e, ct));

        var first = await store.GetTaskAsync("op-fleet", 7, null, CancellationToken.None);
        Assert.Equal(60, first!.Total);
        Assert.Equal(20, first.Phases["updating"]);
        Assert.Equal(20, first.Phases["downloading"]);
        Assert.Equal(Enumerable.Range(0, 20).Count(d => d % 3 == 0), first.Phases["failed"]);
        Assert.Equal(Enumerable.Range(0, 20).Count(d => d % 3 != 0), first.Phases["succeeded"]);
        Assert.Equal(0, first.Phases["idle"]);
        Assert.Equal(0, first.Phases["none"]);

        var seen = new List<string>(first.SubTasks.Select(s => s.DeviceId));
        var token = first.ContinuationToken;
        var pages = 1;
        while (token is not null)
        {
            var page = await store.GetTaskAsync("op-fleet", 7, token, CancellationToken.None);
            Assert.True(page!.SubTasks.Count <= 7);
            seen.AddRange(page.SubTasks.Select(s => s.DeviceId));
            token = page.ContinuationToken;
            pages++;
        }

        Assert.Equal(Enumerable.Range(0, 60).Select(d => $"dev-{d}").Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.True(pages >= 9, $"{pages} pages");
    }

    /// <summary>
    /// The lists read index rows through a projection of their columns: each listed sub-task and task still carries every
    /// field the full rows (the device view, the task's own row) hold.
    /// </summary>
    [Fact]
    public async Task Lists_ShowEachSubTaskAndTask_WithEveryFieldOfItsFullRow()
    {
        var store = Store();
        var result = Pushes.SwResult("FAIL", "dev-ls", "op-ls", "sub-ls");
        result["errorCode"] = "E7";
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("updating", "dev-ls", "op-ls", "sub-ls")), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(result), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-ls2", "op-ls", "sub-ls2")), CancellationToken.None);

        var fresh = Store();
        var listed = (await fresh.GetTaskAsync("op-ls", 10, null, CancellationToken.None))!.SubTasks;
        var details = new List<SubTaskDetail>();
        foreach (var device in new[] { "dev-ls", "dev-ls2" })
        {
            details.Add(Assert.Single((await fresh.GetDeviceAsync(device, CancellationToken.None))!.SubTasks));
        }

        Assert.Equal(
            details.Select(d => (d.DeviceId, d.SubOperationId, d.Kind, d.Phase, d.LastState, d.Result, d.ErrorCode, d.ResultDesc,
                d.SourceVersion, d.TargetVersion, d.CurVersion, d.FirstUpdate, d.LastUpdate)).Order(),
            listed.Select(r => (r.DeviceId, r.SubOperationId, r.Kind, (string?)r.Phase, r.LastState, r.Result, r.ErrorCode, r.ResultDesc,
                r.SourceVersion, r.TargetVersion, r.CurVersion, r.FirstUpdate, r.LastUpdate)).Order());
        Assert.Contains(listed, r => r is { Result: "FAIL", ErrorCode: "E7", SourceVersion: "1.0.0", TargetVersion: "2.0.0", CurVersion: "2.0.0" });

        await store.ApplyAsync(Envelopes.Of(Pushes.FwState("1", "dev-lf", "op-ls-fw", "sub-lf")), CancellationToken.None);
        var summaries = (await fresh.ListTasksAsync(10, null, store.DefaultStalledAfter, CancellationToken.None)).Tasks;
        Assert.Equal(["firmware", "software"], summaries.Select(t => t.Kind).Order());
        foreach (var summary in summaries)
        {
            var progress = (await fresh.GetTaskAsync(summary.OperationId, 1, null, CancellationToken.None))!;
            Assert.Equal((progress.OperationId, progress.Kind, progress.FirstUpdate, progress.LastUpdate, progress.Total),
                (summary.OperationId, summary.Kind, summary.FirstUpdate, summary.LastUpdate, summary.Total));
        }
    }

    /// <summary>The alert needs both: enough settled sub-tasks, and a failure rate strictly above the threshold.</summary>
    [Theory]
    [InlineData(3, 1, 0.25, false)]
    [InlineData(2, 2, 0.5, true)]
    [InlineData(2, 1, 0.3333, false)]
    [InlineData(0, 3, 1.0, false)]
    [InlineData(0, 4, 1.0, true)]
    public async Task GetTask_RaisesTheAlert_AboveTheThreshold_OnceEnoughSubTasksSettled(int succeeded, int failed, double rate, bool alert)
    {
        var store = new UpgradeStateStore(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = _table, FailureRateThreshold = 0.25, FailureRateMinSettled = 4 }));
        for (var i = 0; i < succeeded + failed; i++)
        {
            await store.ApplyAsync(Envelopes.Of(Pushes.SwResult(i < failed ? "FAIL" : "SUCCESS", $"dev-al{i}", "op-alert", $"sub-al{i}")),
                CancellationToken.None);
        }

        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-al-open", "op-alert", "sub-al-open")), CancellationToken.None);

        var task = (await store.GetTaskAsync("op-alert", 10, null, CancellationToken.None))!;
        Assert.Equal((succeeded + failed, 1, rate, alert), (task.Settled, task.Active, task.FailureRate, task.Alert));
        Assert.Equal((0.25, 4), (task.FailureRateThreshold, task.FailureRateMinSettled));
    }

    /// <summary>Before the first push the table may not exist yet (locally, nothing created it): every read answers as for an empty table.</summary>
    [Fact]
    public async Task Reads_BeforeTheFirstPush_AnswerAsForAnEmptyTable()
    {
        static UpgradeStateStore OnANewTable() => new(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = AzuriteServer.NewName("fresh") }));

        Assert.Empty((await OnANewTable().ListTasksAsync(10, null, TimeSpan.FromHours(1), CancellationToken.None)).Tasks);
        Assert.True(SubTaskFilter.TryParse(null, out var all));
        Assert.Null(await OnANewTable().ListSubTasksAsync("op-none", all, 10, null, TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Null(await OnANewTable().GetTaskAsync("op-none", 10, null, CancellationToken.None));
        Assert.Null(await OnANewTable().GetDeviceAsync("dev-none", CancellationToken.None));
    }

    [Fact]
    public async Task GetTask_IsNull_ForAnUnknownOperation()
    {
        Assert.Null(await Store().GetTaskAsync("op-never-seen", 10, null, CancellationToken.None));
    }

    [Theory]
    [InlineData("not-base64!")]
    [InlineData("AAAA")]
    [InlineData("MQpYCjk5Cg")]
    public async Task GetTask_RejectsAContinuationTokenItDidNotIssue(string token)
    {
        var e = await Assert.ThrowsAsync<InvalidContinuationTokenException>(() => Store().GetTaskAsync("op-x", 10, token, CancellationToken.None));
        Assert.Equal("The continuation token is not valid.", e.Message);
    }

    [Fact]
    public async Task GetTask_RejectsAContinuationTokenOfAnotherTask()
    {
        var store = Store();
        for (var d = 0; d < 5; d++)
        {
            await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", $"d{d}", "op-one", $"s{d}")), CancellationToken.None);
        }

        var page = await store.GetTaskAsync("op-one", 1, null, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<InvalidContinuationTokenException>(() =>
            store.GetTaskAsync("op-two", 1, page!.ContinuationToken, CancellationToken.None));
        Assert.Contains("another upgrade task", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDevice_IsNull_ForAnUnknownDevice()
    {
        Assert.Null(await Store().GetDeviceAsync("nobody", CancellationToken.None));
    }

    [Fact]
    public async Task Apply_HandlesIdentifiersWithCharactersTableKeysForbid()
    {
        var store = Store();
        const string odd = "a/b\\c#d?e|f%g~h";
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", odd, odd, odd)), CancellationToken.None);

        var device = await store.GetDeviceAsync(odd, CancellationToken.None);
        var progress = await store.GetTaskAsync(odd, 10, null, CancellationToken.None);

        Assert.Equal(odd, Assert.Single(device!.SubTasks).SubOperationId);
        Assert.Equal(odd, Assert.Single(progress!.SubTasks).DeviceId);
    }

    [Fact]
    public async Task Apply_KeepsOneDevicesSubTasksOfDifferentTasksApart()
    {
        var store = Store();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-m", "op-1", "s-1")), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(Pushes.FwResult("SUCCESS", "dev-m", "op-2", "s-2")), CancellationToken.None);

        var device = await store.GetDeviceAsync("dev-m", CancellationToken.None);

        Assert.Equal([("op-1", "downloading"), ("op-2", "succeeded")],
            device!.SubTasks.Select(s => (s.OperationId, s.Phase!)).Order());
    }
}
