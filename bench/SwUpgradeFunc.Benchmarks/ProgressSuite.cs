using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// GET /api/upgrades/{operationId} through the function's code (<see cref="UpgradeStatusFunctions.GetUpgradeProgress"/>
/// with the app's DI, the answer written to a discarded body) for tasks of 10,000 and 100,000 sub-tasks, each alone
/// in its own table of one Azurite, the reads of both sizes interleaved. The tables are seeded in the store's own row
/// format (<see cref="SeededRows.RowsOf"/>: sub-task, index, counter and task rows) in batches of 100 per
/// partition: 70 % succeeded, 10 % failed, 10 % updating, 5 % downloading, 5 % none.
/// </summary>
internal static class ProgressSuite
{
    public const double TargetMedianMs = 300;

    public static async Task<int> RunAsync(LoadSettings settings, string command)
    {
        using var azurite = AzuriteProcess.Start(settings.OnDisk);
        var report = new Report("progress");
        var sizes = new[] { 10_000, 100_000 };
        var reads = Math.Max(5, settings.Rounds * 7);
        report.Header(command, azurite.Description,
            $"tasks of {string.Join(" and ", sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture)))} sub-tasks, " +
            $"{reads} reads of each (interleaved, after 3 warm-up reads each), one at a time, default page size (100)");

        var targets = await SeededTaskTable.SeedEachAsync(azurite, report, "progress", sizes, SubTasks).ConfigureAwait(false);

        report.Line();
        var problems = new List<string>();
        var timings = await ReadTimings<SeededTaskTable>.MeasureAsync(reads, targets, async target =>
        {
            var function = ActivatorUtilities.CreateInstance<UpgradeStatusFunctions>(target.Services);
            var (ms, status, length) = await FunctionAnswers.TimeAsync(
                request => function.GetUpgradeProgress(request, target.OperationId, Admin.Token())).ConfigureAwait(false);
            if (status != 200 || length < 1000)
            {
                problems.Add($"{target.Size}: status {status}");
            }

            return ms;
        }).ConfigureAwait(false);

        timings.Print(report, [("sub-tasks", "---:")], target => [target.Size.ToString("N0", CultureInfo.InvariantCulture)],
            ReadStatistic.Reads, ReadStatistic.Median, ReadStatistic.P90, ReadStatistic.Min, ReadStatistic.Max);

        var small = timings.Median(targets[0]);
        var large = timings.Median(targets[1]);
        report.Line();
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"100,000 / 10,000 median ratio: {large / small:0.00} (target <= 2: {(large / small <= 2 ? "met" : "MISSED")}); " +
            $"medians under {TargetMedianMs:0} ms: {(Math.Max(small, large) < TargetMedianMs ? "met" : "MISSED")}"));

        // Nothing lost in the seeding: the counts the function answered are the seeded ones.
        foreach (var (size, operationId, provider) in targets)
        {
            var progress = await provider.GetRequiredService<UpgradeStateStore>().GetTaskAsync(operationId, 1, null, Admin.Token())
                .ConfigureAwait(false);
            if (progress?.Total != size)
            {
                problems.Add($"{size}: total {progress?.Total}");
            }

            await provider.DisposeAsync().ConfigureAwait(false);
        }

        report.Line(problems.Count == 0 ? "check: every answer 200 with the seeded totals" : "check FAILED: " + string.Join("; ", problems.Distinct()));
        report.Save();
        return problems.Count > 0 ? 1 : 0;
    }

    private static IEnumerable<SubTaskState> SubTasks(string operationId, int size)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        for (var d = 0; d < size; d++)
        {
            var pick = d % 20;
            UpgradePhase? phase = pick < 14 ? UpgradePhase.Succeeded : pick < 16 ? UpgradePhase.Failed : pick < 18 ? UpgradePhase.Updating
                : pick < 19 ? UpgradePhase.Downloading : null;
            var at = start.AddMilliseconds(d * 100.0);
            var history = new List<HistoryEntry>
            {
                new($"{d:D32}", at, NotifyTypes.SwUpgradeStateChange, SoftwareUpgradeStates.Downloading, Verdicts.Advanced),
                new($"{d + 1:D32}", at.AddSeconds(30), NotifyTypes.SwUpgradeStateChange, SoftwareUpgradeStates.Downloaded, Verdicts.Advanced),
                new($"{d + 2:D32}", at.AddSeconds(60), NotifyTypes.SwUpgradeStateChange, SoftwareUpgradeStates.Updating, Verdicts.Advanced),
            };
            yield return new SubTaskState
            {
                OperationId = operationId,
                SubOperationId = $"sub-{d:D8}-{Guid.NewGuid():N}",
                DeviceId = $"device-{d:D8}-{Guid.NewGuid():N}",
                AppId = "app-bench",
                Kind = UpgradeKinds.Software,
                Phase = phase,
                LastState = phase is null ? null : SoftwareUpgradeStates.Updating,
                Result = phase == UpgradePhase.Succeeded ? UpgradeResults.Success : phase == UpgradePhase.Failed ? UpgradeResults.Fail : null,
                SourceVersion = "1.0.0",
                TargetVersion = "2.0.0",
                CurVersion = phase == UpgradePhase.Succeeded ? "2.0.0" : "1.0.0",
                ErrorCode = phase == UpgradePhase.Failed ? "E102" : null,
                ResultDesc = phase?.IsSettled() == true ? "upgrade finished" : null,
                SettledAt = phase?.IsSettled() == true ? at.AddSeconds(90) : null,
                FirstUpdate = at,
                LastUpdate = at.AddSeconds(90),
                History = history,
                Seen = ["state:downloading", "state:downloaded", "state:updating"],
            };
        }
    }
}
