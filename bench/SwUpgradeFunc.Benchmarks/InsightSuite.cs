using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The sparse reads of one task through the store, against Azurite: a page of 100 of <c>phase=failed</c> and of
/// <c>phase=stalled</c> (1 % each of the task), the failure reasons and the source versions. The task (--count sub-tasks,
/// default 10,000) is seeded in the store's row format: 1 % failed over 5 error codes, 1 % updating and last pushed
/// three hours ago (stalled), the rest succeeded from one of 3 source versions.
/// </summary>
internal static class InsightSuite
{
    public static async Task<int> RunAsync(LoadSettings settings, string command)
    {
        using var azurite = AzuriteProcess.Start(settings.OnDisk);
        var report = new Report("insight");
        var reads = Math.Max(5, settings.Rounds * 7);
        report.Header(command, azurite.Description,
            string.Create(CultureInfo.InvariantCulture, $"a task of {settings.Count:N0} sub-tasks, {reads} reads of each kind (after 3 warm-up reads), one at a time"));
        var table = $"insight{Guid.NewGuid():N}"[..30];
        const string operationId = "bench-insight";
        var seeded = Stopwatch.StartNew();
        await SeedAsync(new TableServiceClient(azurite.ConnectionString).GetTableClient(table), operationId, settings.Count).ConfigureAwait(false);
        report.Line(string.Create(CultureInfo.InvariantCulture, $"- seeded {settings.Count:N0} sub-tasks in {seeded.Elapsed.TotalSeconds:0} s"));
        report.Line();

        await using var provider = AppServices.Build(new Dictionary<string, string?> { ["SwUpgradeStorage"] = azurite.ConnectionString, ["Upgrades:TableName"] = table });
        var store = provider.GetRequiredService<UpgradeStateStore>();
        var stalledAfter = TimeSpan.FromHours(1);
        if (!SubTaskFilter.TryParse("failed", out var failed) || !SubTaskFilter.TryParse("stalled", out var stalled))
        {
            throw new InvalidOperationException("The filters failed and stalled are not known.");
        }

        var kinds = new (string Name, Func<Task<int>> Read)[]
        {
            ("page of 100, phase=failed", async () => (await store.ListSubTasksAsync(operationId, failed, 100, null, stalledAfter, Admin.Token()).ConfigureAwait(false))!.SubTasks.Count),
            ("page of 100, phase=stalled", async () => (await store.ListSubTasksAsync(operationId, stalled, 100, null, stalledAfter, Admin.Token()).ConfigureAwait(false))!.SubTasks.Count),
            ("failure reasons", async () => (await store.GetFailureReasonsAsync(operationId, Admin.Token()).ConfigureAwait(false))!.Failed),
            ("source versions", async () => (await store.GetSourceVersionsAsync(operationId, Admin.Token()).ConfigureAwait(false))!.Settled),
        };
        var timings = kinds.ToDictionary(k => k.Name, _ => new List<double>());
        var answers = new Dictionary<string, int>();
        for (var i = -3; i < reads; i++)
        {
            foreach (var (name, read) in kinds)
            {
                var clock = Stopwatch.StartNew();
                answers[name] = await read().ConfigureAwait(false);
                if (i >= 0)
                {
                    timings[name].Add(clock.Elapsed.TotalMilliseconds);
                }
            }
        }

        report.Line("| read | rows answered | median ms | min ms | max ms |");
        report.Line("|---|---:|---:|---:|---:|");
        foreach (var (name, values) in timings)
        {
            var sorted = values.Order().ToArray();
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {answers[name]:N0} | {Report.Median(sorted):0.0} | {sorted[0]:0.0} | {sorted[^1]:0.0} |"));
        }

        report.Save();
        return 0;
    }

    private static async Task SeedAsync(TableClient table, string operationId, int size)
    {
        await table.CreateAsync(Admin.Token()).ConfigureAwait(false);
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var states = new List<SubTaskState>(size);
        for (var d = 0; d < size; d++)
        {
            var phase = (d % 100) switch { 0 => UpgradePhase.Failed, 1 => UpgradePhase.Updating, _ => UpgradePhase.Succeeded };
            var at = phase == UpgradePhase.Updating ? start : DateTimeOffset.UtcNow.AddMinutes(-5);
            states.Add(new SubTaskState
            {
                OperationId = operationId,
                SubOperationId = $"sub-{d:D8}",
                DeviceId = $"device-{d:D8}",
                AppId = "app-bench",
                Kind = UpgradeKinds.Software,
                Phase = phase,
                LastState = SoftwareUpgradeStates.Updating,
                Result = phase == UpgradePhase.Succeeded ? UpgradeResults.Success : phase == UpgradePhase.Failed ? UpgradeResults.Fail : null,
                SourceVersion = phase.IsSettled() ? $"1.{d % 3}.0" : null,
                TargetVersion = "2.0.0",
                ErrorCode = phase == UpgradePhase.Failed ? $"E10{d / 100 % 5}" : null,
                ResultDesc = phase == UpgradePhase.Failed ? "upgrade failed" : null,
                FirstUpdate = at,
                LastUpdate = at,
            });
        }

        var batches = SeededRows.RowsOf(operationId, states).GroupBy(e => e.PartitionKey).SelectMany(p => p.Chunk(100)).ToArray();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct)
                .ConfigureAwait(false)).ConfigureAwait(false);
    }
}
