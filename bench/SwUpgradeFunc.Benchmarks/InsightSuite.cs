using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Platform;
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
        const string operationId = "bench-insight";
        await using var provider = (await SeededTaskTable.SeedAsync(azurite, report, "insight", operationId, SubTasks(operationId, settings.Count))
            .ConfigureAwait(false)).Services;
        report.Line();

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
        var answers = new Dictionary<string, int>();
        var timings = await ReadTimings<(string Name, Func<Task<int>> Read)>.MeasureAsync(reads, kinds, async kind =>
        {
            var clock = Stopwatch.StartNew();
            answers[kind.Name] = await kind.Read().ConfigureAwait(false);
            return clock.Elapsed.TotalMilliseconds;
        }).ConfigureAwait(false);

        timings.Print(report, [("read", "---"), ("rows answered", "---:")],
            kind => [kind.Name, answers[kind.Name].ToString("N0", CultureInfo.InvariantCulture)],
            ReadStatistic.Median, ReadStatistic.Min, ReadStatistic.Max);

        report.Save();
        return 0;
    }

    private static IEnumerable<SubTaskState> SubTasks(string operationId, int size)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        for (var d = 0; d < size; d++)
        {
            var phase = (d % 100) switch { 0 => UpgradePhase.Failed, 1 => UpgradePhase.Updating, _ => UpgradePhase.Succeeded };
            var at = phase == UpgradePhase.Updating ? start : DateTimeOffset.UtcNow.AddMinutes(-5);
            yield return new SubTaskState
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
            };
        }
    }
}
