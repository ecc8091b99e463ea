using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// One task seeded alone in its own table of a suite's Azurite, with the app's services over that table: the read
/// suites measure a task's reads without the rows of another task in the same partitions.
/// </summary>
internal sealed record SeededTaskTable(int Size, string OperationId, ServiceProvider Services)
{
    /// <summary>
    /// One task of each size, seeded one after the other: task <c>bench-{name}-{size}</c> in a table named after both,
    /// its sub-tasks from <paramref name="subTasks"/> (operation id, size).
    /// </summary>
    public static async Task<List<SeededTaskTable>> SeedEachAsync(AzuriteProcess azurite, Report report, string name,
        IEnumerable<int> sizes, Func<string, int, IEnumerable<SubTaskState>> subTasks)
    {
        var targets = new List<SeededTaskTable>();
        foreach (var size in sizes)
        {
            var operationId = $"bench-{name}-{size}";
            targets.Add(await SeedAsync(azurite, report, $"{name}{size}", operationId, subTasks(operationId, size)).ConfigureAwait(false));
        }

        return targets;
    }

    /// <summary>
    /// Creates a table named from <paramref name="tablePrefix"/>, writes the sub-tasks in the store's own row format
    /// (<see cref="SeededRows.RowsOf"/>) in batches of 100 per partition, and reports how long that took. The sub-tasks
    /// are enumerated once the table exists, inside the timed part.
    /// </summary>
    public static async Task<SeededTaskTable> SeedAsync(AzuriteProcess azurite, Report report, string tablePrefix, string operationId,
        IEnumerable<SubTaskState> subTasks)
    {
        var tableName = $"{tablePrefix}{Guid.NewGuid():N}"[..30];
        var table = new TableServiceClient(azurite.ConnectionString).GetTableClient(tableName);
        var seeded = Stopwatch.StartNew();
        await table.CreateAsync(Admin.Token()).ConfigureAwait(false);
        var states = subTasks.ToList();
        var batches = SeededRows.RowsOf(operationId, states)
            .GroupBy(e => e.PartitionKey)
            .SelectMany(partition => partition.Chunk(100))
            .ToArray();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct)
                .ConfigureAwait(false)).ConfigureAwait(false);
        report.Line(string.Create(CultureInfo.InvariantCulture, $"- seeded {states.Count:N0} sub-tasks in {seeded.Elapsed.TotalSeconds:0} s"));
        return new SeededTaskTable(states.Count, operationId, AppServices.Build(new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = azurite.ConnectionString,
            ["Upgrades:TableName"] = tableName,
        }));
    }
}
