using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Functions;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>The retention run against Azurite, with a fake clock: which tasks it deletes, and its settings.</summary>
public sealed class TaskRetentionTests : IDisposable
{
    private readonly string _table = AzuriteServer.NewName("ret");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T03:30:00Z", CultureInfo.InvariantCulture));
    private readonly TestMeterFactory _meters = new();
    private readonly FakeLogger<TaskRetention> _logger = new();
    private readonly UpgradeStateStore _store;

    public TaskRetentionTests()
    {
        _store = new UpgradeStateStore(new TableServiceClient(AzuriteServer.ConnectionString),
            Options.Create(new UpgradesOptions { TableName = _table }), _time);
    }

    public void Dispose()
    {
        _store.Dispose();
        _meters.Dispose();
    }

    private TaskRetention Retention(int days) => new(_store, Options.Create(new UpgradesOptions { TableName = _table, RetentionDays = days }),
        new SwUpgradeMetrics(_meters), _time, _logger);

    /// <summary>A task whose last push was <paramref name="age"/> ago.</summary>
    private async Task SeedAsync(string operationId, TimeSpan age, int subTasks = 5)
    {
        var at = _time.GetUtcNow() - age;
        var states = Enumerable.Range(0, subTasks).Select(i => new SubTaskState
        {
            OperationId = operationId,
            SubOperationId = $"sub-{i}",
            DeviceId = $"{operationId}-dev-{i}",
            AppId = "app",
            Kind = UpgradeKinds.Software,
            Phase = UpgradePhase.Succeeded,
            FirstUpdate = at.AddHours(-1),
            LastUpdate = at,
        }).ToList();
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        await table.CreateIfNotExistsAsync();
        foreach (var batch in SeededRows.RowsOf(operationId, states).GroupBy(r => r.PartitionKey).SelectMany(p => p.Chunk(100)))
        {
            await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)));
        }
    }

    /// <summary>Runs retention, moving the fake clock on while it waits for the deletions' settle time.</summary>
    private async Task<RetentionRunResult> RunAsync(TaskRetention retention)
    {
        var run = retention.RunAsync(CancellationToken.None);
        while (!run.IsCompleted)
        {
            await Task.Delay(20);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        return await run;
    }

    private async Task<List<string>> ListedAsync() =>
        [.. (await _store.ListTasksAsync(100, null, TimeSpan.FromHours(1), CancellationToken.None)).Tasks.Select(t => t.OperationId).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Retention_DeletesOnlyTheTasksWithoutActivityForLongerThanTheRetention_WithALogLineAndAMetricEach()
    {
        await SeedAsync("op-ancient", TimeSpan.FromDays(400), subTasks: 300);
        await SeedAsync("op-old", TimeSpan.FromDays(181));
        await SeedAsync("op-recent", TimeSpan.FromDays(179));
        await SeedAsync("op-today", TimeSpan.FromHours(2));
        using var removedMetric = new MetricCollector<long>(_meters, SwUpgradeMetrics.MeterName, SwUpgradeMetrics.TasksRemovedByRetention);

        var result = await RunAsync(Retention(180));

        Assert.Equal(["op-ancient", "op-old"], result.Removed.Order(StringComparer.Ordinal));
        Assert.Empty(result.Unfinished);
        Assert.Equal(["op-recent", "op-today"], await ListedAsync());
        Assert.Null(await _store.GetTaskAsync("op-ancient", 10, null, CancellationToken.None));
        Assert.Null(await _store.GetDeviceAsync("op-ancient-dev-7", CancellationToken.None));
        Assert.Equal(2, removedMetric.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(2, _logger.Collector.GetSnapshot().Count(r => r.Message.StartsWith("Retention removed task", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Retention_OfZeroDays_KeepsEveryTask()
    {
        await SeedAsync("op-ancient", TimeSpan.FromDays(4000));

        var result = await RunAsync(Retention(0));

        Assert.Empty(result.Removed);
        Assert.Equal(["op-ancient"], await ListedAsync());
    }

    [Fact]
    public async Task Retention_FinishesADeletionThatWasStartedAndNotDone()
    {
        await SeedAsync("op-started", TimeSpan.FromDays(1));
        await _store.DeleteTaskAsync("op-started", 1, CancellationToken.None);

        var result = await RunAsync(Retention(180));

        Assert.Equal(["op-started"], result.Removed);
        Assert.True((await _store.DeleteTaskAsync("op-started", 1, CancellationToken.None))!.Done);
    }

    [Theory]
    [InlineData("Upgrades:RetentionDays", "-1", "RetentionDays")]
    [InlineData("Upgrades:RetentionDays", "36501", "RetentionDays")]
    [InlineData("UpgradesRetentionSchedule", "daily", "UpgradesRetentionSchedule")]
    [InlineData("UpgradesRetentionSchedule", "30 3 * * *", "UpgradesRetentionSchedule")]
    public async Task Start_Fails_NamingTheRetentionSetting_WhenItsValueIsInvalid(string key, string value, string named)
    {
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        settings[key] = value;

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => FunctionsTestHost.StartAsync(settings));

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetentionTimer_IsBoundToTheScheduleSetting()
    {
        var trigger = FunctionsMetadataTests.Trigger("Retention");

        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("%UpgradesRetentionSchedule%", trigger["schedule"]!.GetValue<string>());
        Assert.Equal("SwUpgradeFunc.Functions.RetentionFunction.Run", FunctionsMetadataTests.Function("Retention")["entryPoint"]!.GetValue<string>());
    }
}
