using System.Globalization;
using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The processor path against Azurite (<see cref="NotificationProcessor.ProcessAsync"/> with the app's DI registrations,
/// as the queue trigger calls it, minus the queue) versus a bare <see cref="TableClient.UpsertEntityAsync{T}"/> of one
/// sub-task row per notification, at the same concurrency, in one run against one Azurite. The notifications are a
/// fleet's lifecycles: count/5 devices of one task, each pushing downloading, downloaded, updating, idle and a
/// SUCCESS result (FAIL for <c>--failed</c> % of them, spread evenly), sent in waves (every device's first state, then
/// every device's second, ...).
/// </summary>
internal static class ProcessorSuite
{
    public const double TargetPerSecond = 800;

    public static async Task<int> RunAsync(LoadSettings settings, string command)
    {
        using var azurite = AzuriteProcess.Start(settings.OnDisk);
        var report = new Report("processor");
        report.Header(command, azurite.Description, settings.ToString());

        var devices = Math.Max(1, settings.Count / 5);
        var count = devices * 5;
        var service = new TableServiceClient(azurite.ConnectionString);
        var results = new List<LoadResult>();
        var ratios = new List<double>();
        var transactionRatios = new List<double>();
        var problems = new List<string>();
        var counter = new RequestCounter();
        var requestNotes = new List<string>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            var operationId = $"bench-op-{round}-{Guid.NewGuid():N}";
            var messages = Fleet(operationId, devices, settings.FailedPercent);
            var processorFirst = round % 2 == 0;
            LoadResult? bare = null, path = null, transaction = null;
            foreach (var which in processorFirst ? new[] { "processor", "bare" } : ["bare", "processor"])
            {
                var tableName = $"bench{which}{round}{Guid.NewGuid():N}"[..32];
                if (which == "bare")
                {
                    var table = service.GetTableClient(tableName);
                    await table.CreateAsync(Admin.Token());
                    var entities = messages.Select((m, i) => RowLike(operationId, i % devices, m.Length)).ToArray();
                    if (round == 1)
                    {
                        await LoadRun.RunAsync("warm-up", 500, settings.Concurrency, settings.RunLimit,
                            (i, ct) => table.UpsertEntityAsync(entities[i % entities.Length], TableUpdateMode.Replace, ct));
                    }

                    bare = await LoadRun.RunAsync($"bare UpsertEntityAsync #{round}", count, settings.Concurrency, settings.RunLimit,
                        (i, ct) => table.UpsertEntityAsync(entities[i], TableUpdateMode.Replace, ct));

                    // As many operations as the processor's transaction for a phase change (sub-task, counter, the old
                    // index row out, the new one in), unconditional: what the storage itself charges for the batch.
                    transaction = await LoadRun.RunAsync($"bare SubmitTransactionAsync, 4 operations #{round}", count, settings.Concurrency,
                        settings.RunLimit, (i, ct) => table.SubmitTransactionAsync(TransactionLike(entities[i], i), ct));
                }
                else
                {
                    await using var provider = ProcessorServices(azurite.ConnectionString, tableName, counter);
                    var processor = provider.GetRequiredService<NotificationProcessor>();
                    if (round == 1)
                    {
                        var warmOp = $"warm-{Guid.NewGuid():N}";
                        var warm = Fleet(warmOp, 100, settings.FailedPercent);
                        await LoadRun.RunAsync("warm-up", warm.Length, settings.Concurrency, settings.RunLimit,
                            (i, ct) => processor.ProcessAsync(warm[i], $"w{i}", 1, ct));
                    }

                    counter.Reset();
                    path = await LoadRun.RunAsync($"processor #{round}", count, settings.Concurrency, settings.RunLimit,
                        async (i, ct) =>
                        {
                            var outcome = await processor.ProcessAsync(messages[i], $"m{i}", 1, ct).ConfigureAwait(false);
                            if (outcome == ProcessOutcome.Poisoned)
                            {
                                throw new InvalidOperationException("The processor poisoned a valid notification.");
                            }
                        });

                    requestNotes.Add(string.Create(CultureInfo.InvariantCulture,
                        $"round {round}: {(double)counter.Requests / Math.Max(1, path.Completed):0.00} table requests per notification, " +
                        $"{counter.Conflicts} conflicts (409/412, transactions included)"));

                    // Nothing lost: every device of the task must have settled as its result said.
                    var progress = await provider.GetRequiredService<UpgradeStateStore>()
                        .GetTaskAsync(operationId, 1, null, Admin.Token());
                    var succeeded = progress?.Phases.GetValueOrDefault("succeeded") ?? 0;
                    var failed = progress?.Phases.GetValueOrDefault("failed") ?? 0;
                    var failing = Enumerable.Range(0, devices).Count(d => Fails(d, settings.FailedPercent));
                    if (path.Completed == count && (succeeded != devices - failing || failed != failing))
                    {
                        problems.Add($"round {round}: {succeeded} succeeded and {failed} failed of {devices} devices, {failing} sent FAIL");
                    }
                }
            }

            results.Add(bare!);
            results.Add(transaction!);
            results.Add(path!);
            ratios.Add(path!.PerSecond / bare!.PerSecond);
            transactionRatios.Add(path.PerSecond / transaction!.PerSecond);
        }

        report.Results(results);
        var pathRate = Report.Median(results.Where(r => r.Name.StartsWith("processor", StringComparison.Ordinal)).Select(r => r.PerSecond));
        var bareRate = Report.Median(results.Where(r => r.Name.StartsWith("bare", StringComparison.Ordinal)).Select(r => r.PerSecond));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"processor/bare throughput ratio per round: {string.Join(", ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; " +
            $"median {Report.Median(ratios):0.00}; median rates: processor {pathRate:0}/s " +
            $"(target >= {TargetPerSecond:0}/s: {(pathRate >= TargetPerSecond ? "met" : "MISSED")}), bare {bareRate:0}/s"));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"processor/bare 4-operation transaction ratio per round: {string.Join(", ", transactionRatios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; " +
            $"median {Report.Median(transactionRatios):0.00}"));
        report.Line("processor storage requests: " + string.Join("; ", requestNotes));
        report.Line(problems.Count == 0
            ? $"check: every device of every round settled as its result said ({devices} devices per round)"
            : "check FAILED: " + string.Join("; ", problems));
        report.Save();
        return problems.Count > 0 || results.Any(r => r.Failed > 0 || r.Completed < count) ? 1 : 0;
    }

    /// <summary>The queue messages (envelope JSON, as the trigger hands them over) of a fleet's lifecycles, in waves.</summary>
    private static string[] Fleet(string operationId, int devices, int failedPercent)
    {
        string[] states = ["downloading", "downloaded", "updating", "idle"];
        var now = DateTimeOffset.UtcNow;
        var messages = new List<string>(devices * 5);
        for (var step = 0; step < 5; step++)
        {
            for (var d = 0; d < devices; d++)
            {
                var body = step < 4
                    ? SamplePushes.Body(NotifyTypes.SwUpgradeStateChange, d, states[step])
                    : SamplePushes.Body(NotifyTypes.SwUpgradeResult, d, Fails(d, failedPercent) ? "FAIL" : "SUCCESS");
                var n = NotificationParser.Parse(body).Notification! with { OperationId = operationId };
                messages.Add(NotificationEnvelope.Create(n, now.AddMilliseconds(step)).ToBinaryData().ToString());
            }
        }

        return [.. messages];
    }

    /// <summary>Device d's result is FAIL for <paramref name="failedPercent"/> % of the devices, spread evenly.</summary>
    private static bool Fails(int device, int failedPercent) => device * failedPercent % 100 + failedPercent >= 100;

    /// <summary>A row like the processor's sub-task row (same keys, similar size), for the bare baseline.</summary>
    private static TableEntity RowLike(string operationId, int device, int size)
    {
        var subOperationId = $"sub-{device:D8}";
        return new TableEntity(StorageKeys.TaskPartition(operationId, subOperationId), StorageKeys.SubTaskRow(subOperationId))
        {
            ["DeviceId"] = $"device-{device:D8}",
            ["Phase"] = "downloading",
            ["Payload"] = new string('x', Math.Max(1, size)),
            ["LastUpdate"] = DateTimeOffset.UtcNow,
        };
    }

    private static TableTransactionAction[] TransactionLike(TableEntity row, int i)
    {
        var index = new TableEntity(row.PartitionKey, "x") { ["DeviceId"] = row["DeviceId"], ["Phase"] = "downloading", ["LastUpdate"] = row["LastUpdate"] };
        TableEntity Copy(string key) => new(index) { RowKey = key };
        var sub = row.RowKey[2..];
        return
        [
            new(TableTransactionActionType.UpsertReplace, row),
            new(TableTransactionActionType.UpsertReplace, new TableEntity(row.PartitionKey, StorageKeys.CounterRow(i % StorageKeys.CounterShards)) { ["downloading"] = i }),
            new(TableTransactionActionType.UpsertReplace, Copy($"p|a|{sub}")),
            new(TableTransactionActionType.UpsertReplace, Copy($"p|b|{sub}")),
        ];
    }

    private static ServiceProvider ProcessorServices(string connectionString, string tableName, RequestCounter counter) =>
        AppServices.Build(
            new Dictionary<string, string?> { ["SwUpgradeStorage"] = connectionString, ["Upgrades:TableName"] = tableName },
            services => services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(counter, HttpPipelinePosition.PerRetry))));
}
