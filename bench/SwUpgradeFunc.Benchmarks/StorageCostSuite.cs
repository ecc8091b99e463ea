using System.Globalization;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// What the storage itself charges for the requests the processor makes: a bare upsert, a point read, a queue send and
/// entity-group transactions of 1 to 6 operations, each at the same concurrency against one Azurite, so that a
/// design's request mix can be priced in "upserts" before it is built.
/// </summary>
internal static class StorageCostSuite
{
    public static async Task<int> RunAsync(LoadSettings settings, string command)
    {
        using var azurite = AzuriteProcess.Start(settings.OnDisk);
        var report = new Report("storage");
        report.Header(command, azurite.Description, settings.ToString());
        var service = new TableServiceClient(azurite.ConnectionString);
        var queues = new QueueServiceClient(azurite.ConnectionString);
        var results = new List<LoadResult>();
        var count = settings.Count;
        var relative = new Dictionary<string, List<double>>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            var table = service.GetTableClient($"cost{round}{Guid.NewGuid():N}"[..30]);
            await table.CreateAsync(Admin.Token());
            var queue = queues.GetQueueClient($"cost{round}-{Guid.NewGuid():N}");
            await queue.CreateAsync(cancellationToken: Admin.Token());
            var rows = Enumerable.Range(0, count).Select(i => Row($"op|bench|{i % 32:D2}", $"s|sub-{i:D8}", 1500)).ToArray();
            var upsert = await LoadRun.RunAsync($"upsert #{round}", count, settings.Concurrency, settings.RunLimit,
                (i, ct) => table.UpsertEntityAsync(rows[i], TableUpdateMode.Replace, ct));
            results.Add(upsert);
            void Note(LoadResult r)
            {
                results.Add(r);
                var key = r.Name[..r.Name.IndexOf(" #", StringComparison.Ordinal)];
                (relative.TryGetValue(key, out var list) ? list : relative[key] = []).Add(upsert.PerSecond / r.PerSecond);
            }

            Note(await LoadRun.RunAsync($"point read #{round}", count, settings.Concurrency, settings.RunLimit,
                (i, ct) => table.GetEntityAsync<TableEntity>(rows[i].PartitionKey, rows[i].RowKey, cancellationToken: ct)));
            Note(await LoadRun.RunAsync($"queue send #{round}", count, settings.Concurrency, settings.RunLimit,
                (i, ct) => queue.SendMessageAsync(new string('x', 600), ct)));
            foreach (var ops in new[] { 1, 2, 3, 4, 5, 6 })
            {
                Note(await LoadRun.RunAsync($"transaction of {ops} #{round}", count, settings.Concurrency, settings.RunLimit,
                    (i, ct) => table.SubmitTransactionAsync(Transaction(rows[i], ops, i), ct)));
            }
        }

        report.Results(results);
        report.Line("| request | cost in upserts (median of rounds) |");
        report.Line("|---|---:|");
        foreach (var (name, values) in relative)
        {
            report.Line(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Report.Median(values):0.00} |"));
        }

        report.Save();
        return results.Any(r => r.Failed > 0) ? 1 : 0;
    }

    private static TableEntity Row(string partition, string row, int size) => new(partition, row)
    {
        ["DeviceId"] = "device-" + row,
        ["Payload"] = new string('x', size),
        ["LastUpdate"] = DateTimeOffset.UtcNow,
    };

    private static TableTransactionAction[] Transaction(TableEntity row, int ops, int i)
    {
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpsertReplace, row) };
        for (var k = 1; k < ops; k++)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(row.PartitionKey, $"x{k}|{row.RowKey}")
            {
                ["DeviceId"] = row["DeviceId"],
                ["Phase"] = "downloading",
                ["N"] = i,
            }));
        }

        return [.. actions];
    }
}
