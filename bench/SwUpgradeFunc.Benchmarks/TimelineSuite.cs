using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// Through the functions' code with the app's DI, for two tasks of N and 10 x N sub-tasks (<c>--count</c>, default
/// 10,000 and 100,000) each alone in its own table of one Azurite, all reads interleaved, one at a time: (a) the first
/// <c>phase=failed</c> page (default page size) against the progress read of the same task, (b) the timeline (PT1H) of
/// the large task against the small one's. Seeded in the store's row format (<see cref="SeededRows.RowsOf"/>, timeline
/// rows included): 89 % succeeded, 1 % failed, 10 % updating, pushed and settled over the last hours.
/// </summary>
internal static class TimelineSuite
{
    public const double FailedPageTargetRatio = 1.5;
    public const double TimelineTargetRatio = 2;

    private static readonly string[] Reads = ["progress", "failed page", "timeline"];

    public static async Task<int> RunAsync(LoadSettings settings, string command)
    {
        using var azurite = AzuriteProcess.Start(settings.OnDisk);
        var report = new Report("timeline");
        var sizes = new[] { settings.Count, settings.Count * 10 };
        var reads = Math.Max(5, settings.Rounds * 7);
        report.Header(command, azurite.Description,
            $"tasks of {string.Join(" and ", sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture)))} sub-tasks (1 % failed), " +
            $"{reads} reads of each kind and size (interleaved, after 3 warm-up rounds), one at a time");

        var targets = await SeededTaskTable.SeedEachAsync(azurite, report, "timeline", sizes, SubTasks).ConfigureAwait(false);

        report.Line();
        var problems = new List<string>();
        var timings = await ReadTimings<(SeededTaskTable Target, string Read)>.MeasureAsync(reads,
            [.. targets.SelectMany(target => Reads.Select(read => (target, read)))],
            async key =>
            {
                var (target, read) = key;
                var (ms, status, length) = await TimeAsync(target.Services, target.OperationId, read).ConfigureAwait(false);
                if (status != 200 || length < 200)
                {
                    problems.Add($"{target.Size} {read}: status {status}, {length} bytes");
                }

                return ms;
            }).ConfigureAwait(false);

        timings.Print(report, [("sub-tasks", "---:"), ("read", "---")],
            key => [key.Target.Size.ToString("N0", CultureInfo.InvariantCulture), key.Read],
            ReadStatistic.Reads, ReadStatistic.Median, ReadStatistic.P90, ReadStatistic.Min, ReadStatistic.Max);
        report.Line();
        foreach (var target in targets)
        {
            var size = target.Size;
            var ratio = timings.Median((target, "failed page")) / timings.Median((target, "progress"));
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"- {size:N0}: failed page / progress median ratio {ratio:0.00} (goal <= {FailedPageTargetRatio}: {(ratio <= FailedPageTargetRatio ? "met" : "MISSED")})"));
        }

        var growth = timings.Median((targets[1], "timeline")) / timings.Median((targets[0], "timeline"));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"- timeline {sizes[1]:N0} / {sizes[0]:N0} median ratio {growth:0.00} (goal <= {TimelineTargetRatio}: {(growth <= TimelineTargetRatio ? "met" : "MISSED")})"));

        // Nothing lost in the seeding: the timeline's settles are the seeded ones.
        foreach (var (size, operationId, provider) in targets)
        {
            var timeline = await provider.GetRequiredService<UpgradeStateStore>()
                .GetTimelineAsync(operationId, TimelineInterval.Hour, Admin.Token()).ConfigureAwait(false);
            if (timeline is null || timeline.Total != size || timeline.Intervals.Sum(i => i.Failed) != size / 100)
            {
                problems.Add($"{size}: timeline total {timeline?.Total}, failed {timeline?.Intervals.Sum(i => i.Failed)}");
            }

            await provider.DisposeAsync().ConfigureAwait(false);
        }

        report.Line(problems.Count == 0 ? "check: every answer 200, the timelines hold the seeded settles" : "check FAILED: " + string.Join("; ", problems.Distinct()));
        report.Save();
        return problems.Count > 0 ? 1 : 0;
    }

    private static Task<(double Ms, int Status, long Length)> TimeAsync(ServiceProvider provider, string operationId, string read) =>
        FunctionAnswers.TimeAsync(async request => read switch
        {
            "progress" => await ActivatorUtilities.CreateInstance<UpgradeStatusFunctions>(provider)
                .GetUpgradeProgress(request, operationId, Admin.Token()).ConfigureAwait(false),
            "failed page" => await ActivatorUtilities.CreateInstance<UpgradeStatusFunctions>(provider)
                .ListUpgradeSubTasks(WithQuery(request, "?phase=failed"), operationId, Admin.Token()).ConfigureAwait(false),
            _ => await ActivatorUtilities.CreateInstance<UpgradeTimelineFunction>(provider)
                .GetUpgradeTimeline(request, operationId, Admin.Token()).ConfigureAwait(false),
        });

    private static HttpRequest WithQuery(HttpRequest request, string query)
    {
        request.QueryString = new QueryString(query);
        return request;
    }

    /// <summary>Sub-task d pushed at (d x span / size) over the last three hours and settled (or left updating) 90 s later.</summary>
    private static IEnumerable<SubTaskState> SubTasks(string operationId, int size)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var step = TimeSpan.FromHours(3) / size;
        for (var d = 0; d < size; d++)
        {
            var pick = d % 100;
            var phase = pick == 0 ? UpgradePhase.Failed : pick < 90 ? UpgradePhase.Succeeded : UpgradePhase.Updating;
            var at = start + (step * d);
            yield return new SubTaskState
            {
                OperationId = operationId,
                SubOperationId = $"sub-{d:D8}-{Guid.NewGuid():N}",
                DeviceId = $"device-{d:D8}-{Guid.NewGuid():N}",
                AppId = "app-bench",
                Kind = UpgradeKinds.Software,
                Phase = phase,
                LastState = SoftwareUpgradeStates.Updating,
                Result = phase == UpgradePhase.Succeeded ? UpgradeResults.Success : phase == UpgradePhase.Failed ? UpgradeResults.Fail : null,
                SourceVersion = "1.0.0",
                TargetVersion = "2.0.0",
                CurVersion = phase == UpgradePhase.Succeeded ? "2.0.0" : "1.0.0",
                ErrorCode = phase == UpgradePhase.Failed ? "E102" : null,
                ResultDesc = phase.IsSettled() ? "upgrade finished" : null,
                SettledAt = phase.IsSettled() ? at.AddSeconds(90) : null,
                FirstUpdate = at,
                LastUpdate = at.AddSeconds(90),
                History =
                [
                    new($"{d:D32}", at, NotifyTypes.SwUpgradeStateChange, SoftwareUpgradeStates.Updating, Verdicts.AdvancedSkippingSteps),
                    .. phase.IsSettled()
                        ? new HistoryEntry[] { new($"{d + 1:D32}", at.AddSeconds(90), NotifyTypes.SwUpgradeResult, phase == UpgradePhase.Failed ? UpgradeResults.Fail : UpgradeResults.Success, Verdicts.Settled) }
                        : [],
                ],
                Seen = ["state:updating"],
            };
        }
    }
}
