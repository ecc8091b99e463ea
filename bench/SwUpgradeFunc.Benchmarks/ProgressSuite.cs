using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
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

        var service = new TableServiceClient(azurite.ConnectionString);
        var targets = new List<(int Size, ServiceProvider Provider, string OperationId)>();
        foreach (var size in sizes)
        {
            var table = $"progress{size}{Guid.NewGuid():N}"[..30];
            var operationId = $"bench-progress-{size}";
            var seeded = Stopwatch.StartNew();
            await SeedAsync(service.GetTableClient(table), operationId, size).ConfigureAwait(false);
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"- seeded {size:N0} sub-tasks in {seeded.Elapsed.TotalSeconds:0} s"));
            targets.Add((size, Services(azurite.ConnectionString, table), operationId));
        }

        report.Line();
        var timings = targets.ToDictionary(t => t.Size, _ => new List<double>());
        var problems = new List<string>();
        for (var i = -3; i < reads; i++)
        {
            foreach (var (size, provider, operationId) in targets)
            {
                var function = ActivatorUtilities.CreateInstance<UpgradeStatusFunctions>(provider);
                var context = new DefaultHttpContext();
                context.Response.Body = new MemoryStream();
                var clock = Stopwatch.StartNew();
                var answer = (HttpAnswer)await function.GetUpgradeProgress(context.Request, operationId, Admin.Token()).ConfigureAwait(false);
                await answer.WriteAsync(context.Response).ConfigureAwait(false);
                clock.Stop();
                if (answer.StatusCode != 200 || context.Response.Body.Length < 1000)
                {
                    problems.Add($"{size}: status {answer.StatusCode}");
                }

                if (i >= 0)
                {
                    timings[size].Add(clock.Elapsed.TotalMilliseconds);
                }
            }
        }

        report.Line("| sub-tasks | reads | median ms | p90 ms | min ms | max ms |");
        report.Line("|---:|---:|---:|---:|---:|---:|");
        foreach (var (size, values) in timings)
        {
            var sorted = values.Order().ToArray();
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {size:N0} | {sorted.Length} | {Report.Median(sorted):0.0} | {sorted[(int)Math.Ceiling(0.9 * sorted.Length) - 1]:0.0} | {sorted[0]:0.0} | {sorted[^1]:0.0} |"));
        }

        var small = Report.Median(timings[sizes[0]]);
        var large = Report.Median(timings[sizes[1]]);
        report.Line();
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"100,000 / 10,000 median ratio: {large / small:0.00} (target <= 2: {(large / small <= 2 ? "met" : "MISSED")}); " +
            $"medians under {TargetMedianMs:0} ms: {(Math.Max(small, large) < TargetMedianMs ? "met" : "MISSED")}"));

        // Nothing lost in the seeding: the counts the function answered are the seeded ones.
        foreach (var (size, provider, operationId) in targets)
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

    private static async Task SeedAsync(TableClient table, string operationId, int size)
    {
        await table.CreateAsync(Admin.Token()).ConfigureAwait(false);
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var states = new List<SubTaskState>(size);
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
            states.Add(new SubTaskState
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
            });
        }

        var batches = SeededRows.RowsOf(operationId, states)
            .GroupBy(e => e.PartitionKey)
            .SelectMany(partition => partition.Chunk(100))
            .ToArray();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct)
                .ConfigureAwait(false)).ConfigureAwait(false);
    }

    private static ServiceProvider Services(string connectionString, string tableName) =>
        AppServices.Build(new Dictionary<string, string?> { ["SwUpgradeStorage"] = connectionString, ["Upgrades:TableName"] = tableName });
}
