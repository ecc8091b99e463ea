using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Reconciliation;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;
using Xunit.Abstractions;

namespace SwUpgradeFunc.Tests.Reconciliation;

/// <summary>
/// What one timer run costs in storage and platform calls, counted on the app's own clients: tasks that went quiet before
/// the window must cost nothing, however many there are.
/// </summary>
public sealed class ReconciliationCostTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ATimerRun_MakesTheSameStorageAndPlatformCalls_With1000OldSettledTasks_AsWith10()
    {
        var few = await MeasureRunAsync(oldTasks: 10);
        var many = await MeasureRunAsync(oldTasks: 1000);

        output.WriteLine($"10 old tasks: {few.Storage} storage calls, {few.Platform} platform calls; " +
                         $"1000 old tasks: {many.Storage} storage calls, {many.Platform} platform calls");
        Assert.True(few.Platform > 0, "the run asks the platform about the stalled task");
        Assert.Equal(few, many);
    }

    /// <summary>
    /// The reconciliation scenario's stalled task, plus <paramref name="oldTasks"/> tasks settled 30 days ago, then one
    /// timer run two hours after the scenario's pushes. Returns the run's storage requests (table and queue) and platform requests.
    /// </summary>
    private static async Task<(long Storage, int Platform)> MeasureRunAsync(int oldTasks)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));
        var storage = new RequestCounter();
        await using var scenario = await ReconciliationScenario.StartAsync(
            platform => new Dictionary<string, string?>
            {
                ["Platform:BaseUrl"] = platform.Fake.BaseUrl.ToString(),
                ["Platform:AppId"] = platform.Fake.AppId,
                ["Platform:AppSecret"] = platform.Fake.Secret,
                ["Platform:CaFile"] = platform.Ca.CaFile,
            },
            services =>
            {
                services.AddSingleton<TimeProvider>(time);
                services.AddAzureClients(clients => clients.ConfigureDefaults(o => o.AddPolicy(storage, HttpPipelinePosition.PerRetry)));
            });
        await SeedOldSettledTasksAsync(scenario, oldTasks, time.GetUtcNow().AddDays(-30));
        time.Advance(TimeSpan.FromHours(2));

        var timer = new Microsoft.Azure.Functions.Worker.TimerInfo
        {
            ScheduleStatus = new Microsoft.Azure.Functions.Worker.ScheduleStatus { Last = time.GetUtcNow().AddMinutes(-15).UtcDateTime },
        };
        var platformBefore = scenario.Platform.Fake.Requests.Count;
        storage.Reset();
        await ActivatorUtilities.CreateInstance<ReconciliationTimerFunction>(scenario.Host.Services).Run(timer, CancellationToken.None);
        var counted = (storage.Requests, scenario.Platform.Fake.Requests.Count - platformBefore);

        Assert.Equal(4, await scenario.DrainAsync()); // the run did its work: the scenario's four repairs
        return counted;
    }

    /// <summary>
    /// Each old task as the store leaves a one-device task that settled: its task and activity rows, and its sub-task's
    /// partition (sub-task, index and counter rows). The other buckets' counter rows are left out to keep seeding quick:
    /// a reader counts a missing counter row as zero, and one that walked every task would still read all 96 of them.
    /// </summary>
    private static async Task SeedOldSettledTasksAsync(ReconciliationScenario scenario, int count, DateTimeOffset settledAt)
    {
        var tableName = scenario.Host.Services.GetRequiredService<IOptions<UpgradesOptions>>().Value.TableName;
        var table = new TableClient(AzuriteServer.ConnectionString, tableName);
        var rows = new List<TableEntity>();
        for (var t = 0; t < count; t++)
        {
            var op = $"op-old-{t:D4}";
            var sub = $"sub-old-{t:D4}";
            var state = UpgradeStateMachine.Apply(null, Envelopes.Of(Pushes.SwResult("SUCCESS", $"dev-old-{t:D4}", op, sub), settledAt), 100).State;
            var subTaskPartition = StorageKeys.TaskPartition(op, sub);
            rows.AddRange(SeededRows.RowsOf(op, [state]).Where(r => r.PartitionKey == StorageKeys.TasksPartition || r.PartitionKey == subTaskPartition));
        }

        var batches = rows.GroupBy(r => r.PartitionKey).SelectMany(p => p.Chunk(100));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct));
    }

    /// <summary>Counts every request the app's storage clients send (each try).</summary>
    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private long _requests;

        public long Requests => Interlocked.Read(ref _requests);

        public void Reset() => Interlocked.Exchange(ref _requests, 0);

        public override void OnReceivedResponse(HttpMessage message) => Interlocked.Increment(ref _requests);
    }
}
