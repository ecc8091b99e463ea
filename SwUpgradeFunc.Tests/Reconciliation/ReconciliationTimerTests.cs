using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Reconciliation;
using SwUpgradeFunc.Tests.Platform.Fake;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Reconciliation;

/// <summary>The reconciliation timer, driven in-process with a fake clock, against the fake platform and Azurite.</summary>
public sealed class ReconciliationTimerTests : IAsyncLifetime
{
    private const string SubOperationsPath = "/iodm/northbound/v1.5.0/operations/op-rec/subOperations";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));
    private ReconciliationScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await ReconciliationScenario.StartAsync(
        platform => new Dictionary<string, string?>
        {
            ["Platform:BaseUrl"] = platform.Fake.BaseUrl.ToString(),
            ["Platform:AppId"] = platform.Fake.AppId,
            ["Platform:AppSecret"] = platform.Fake.Secret,
            ["Platform:CaFile"] = platform.Ca.CaFile,
            ["Upgrades:StalledAfterMinutes"] = "60",
            ["Reconcile:MaxTasksPerRun"] = "1",
        },
        services =>
        {
            services.AddSingleton<TimeProvider>(_time);
            services.PostConfigure<PlatformOptions>(o => o.Customize = c => c.RetryBaseDelay = TimeSpan.FromMilliseconds(1));
        });

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    /// <summary>A second task, op-other, whose one sub-task the platform settled while it stalled here; two hours on, both tasks are due.</summary>
    private async Task AddSecondStalledTaskAsync()
    {
        var fake = _scenario.Platform.Fake;
        fake.AddUpgradeTask("op-other");
        fake.SetSubOperation("op-other", "sub-x", "dev-x", "success", ReconciliationScenario.Stop);
        await _scenario.PushAsync(Pushes.SwState("downloading", "dev-x", "op-other", "sub-x", fake.AppId).ToJsonString());
        await _scenario.DrainAsync();
        _time.Advance(TimeSpan.FromHours(2));
    }

    /// <summary>A tick of the timer whose schedule last ran at <paramref name="lastRun"/> (by default one 15-minute interval ago).</summary>
    private Task TickAsync(DateTimeOffset? lastRun = null, TaskReconciler? reconciler = null) =>
        new ReconciliationTimerFunction(reconciler ?? _scenario.Host.Services.GetRequiredService<TaskReconciler>())
            .Run(Timer(lastRun ?? _time.GetUtcNow().AddMinutes(-15)), CancellationToken.None);

    private Microsoft.Azure.Functions.Worker.TimerInfo Timer(DateTimeOffset lastRun) => new()
    {
        ScheduleStatus = new Microsoft.Azure.Functions.Worker.ScheduleStatus
        {
            Last = lastRun.UtcDateTime,
            Next = _time.GetUtcNow().AddMinutes(15).UtcDateTime,
            LastUpdated = lastRun.UtcDateTime,
        },
    };

    private ReconciliationBackOffs BackOffs => _scenario.Host.Services.GetRequiredService<ReconciliationBackOffs>();

    [Fact]
    public async Task Timer_RepairsTheStalledTask_ThroughTheQueue_AndTheNextRunChangesNothing()
    {
        using var collector = new MetricCollector<long>(_scenario.Host.Services.GetRequiredService<IMeterFactory>(),
            SwUpgradeMetrics.MeterName, SwUpgradeMetrics.SubTasksReconciled);

        await TickAsync(); // 10:00: nothing has stalled yet
        Assert.Empty(_scenario.Platform.Fake.RequestsTo(SubOperationsPath));

        _time.Advance(TimeSpan.FromMinutes(75));
        await TickAsync(); // 11:15

        Assert.Equal(["?subOperationStatus=success&pageNo=0&pageSize=100", "?subOperationStatus=fail&pageNo=0&pageSize=100"],
            _scenario.Platform.Fake.RequestsTo(SubOperationsPath).Select(r => r.QueryString));
        Assert.Equal(4, await _scenario.DrainAsync());
        Assert.Equal(ReconciliationScenario.ReconciledPhases, await _scenario.PhasesAsync());
        var entry = (await _scenario.DeviceSubTaskAsync("dev-5")).GetProperty("history").EnumerateArray().Last();
        Assert.Equal(("reconciliation", "fail"), (entry.GetProperty("notifyType").GetString(), entry.GetProperty("value").GetString()));
        var repairs = collector.GetMeasurementSnapshot();
        Assert.Equal(4, repairs.Sum(m => m.Value));
        Assert.Equal(2, repairs.Where(m => (string?)m.Tags["difference"] == "not-settled-here").Sum(m => m.Value));

        _time.Advance(TimeSpan.FromMinutes(15));
        var second = await _scenario.Host.Services.GetRequiredService<TaskReconciler>().RunAsync(CancellationToken.None);

        Assert.Equal((1, 0), (second.TasksReconciled, second.Repaired)); // sub-9 is still downloading on both sides
        Assert.Equal(0, await _scenario.DrainAsync());
        Assert.Equal(4, collector.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task Timer_IsBoundedInTasksPerRun_AndTakesTheTaskReconciledLongestAgoFirst()
    {
        await AddSecondStalledTaskAsync();
        var reconciler = _scenario.Host.Services.GetRequiredService<TaskReconciler>();

        var first = await reconciler.RunAsync(CancellationToken.None);
        var second = await reconciler.RunAsync(CancellationToken.None);

        Assert.Equal((1, 1, 1), (first.TasksReconciled, first.TasksLeft, first.Repaired)); // op-other sorts first
        Assert.Equal((1, 1, 4), (second.TasksReconciled, second.TasksLeft, second.Repaired));
        Assert.InRange(first.PlatformCalls + second.PlatformCalls, 4, 6);
        Assert.Equal(5, await _scenario.DrainAsync());
    }

    [Fact]
    public async Task AStorageErrorOnOneTask_IsLoggedAndCounted_AndTheRunGoesOnWithTheNextTask()
    {
        await AddSecondStalledTaskAsync();
        var services = _scenario.Host.Services;
        var queue = new FailingForOneTaskQueue(services.GetRequiredService<SwUpgradeFunc.Receiving.INotificationQueue>(), "op-other",
            () => new Azure.RequestFailedException(503, "The server is busy.", "ServerBusy", null));
        var logger = new FakeLogger<TaskReconciler>();
        var reconciler = ActivatorUtilities.CreateInstance<TaskReconciler>(services, logger, new ReconciliationIntake(queue, _time),
            Options.Create(new ReconciliationOptions { MaxTasksPerRun = 10 }));

        var run = await reconciler.RunAsync(CancellationToken.None); // op-other sorts first

        Assert.Equal((2, 0, 1, 4), (run.TasksReconciled, run.TasksLeft, run.TasksFailed, run.Repaired));
        Assert.Equal(4, await _scenario.DrainAsync());
        Assert.Equal(ReconciliationScenario.ReconciledPhases, await _scenario.PhasesAsync());
        var failed = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Contains("op-other", failed.Message, StringComparison.Ordinal);
        Assert.Contains("1 failed", logger.Collector.LatestRecord.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellingTheRun_StopsIt_InsteadOfCountingTheTaskAsFailed()
    {
        await AddSecondStalledTaskAsync();
        using var cancel = new CancellationTokenSource();
        var queue = new FailingForOneTaskQueue(_scenario.Host.Services.GetRequiredService<SwUpgradeFunc.Receiving.INotificationQueue>(),
            "op-other", () =>
            {
                cancel.Cancel();
                return new OperationCanceledException(cancel.Token);
            });
        var reconciler = ActivatorUtilities.CreateInstance<TaskReconciler>(_scenario.Host.Services, new ReconciliationIntake(queue, _time),
            Options.Create(new ReconciliationOptions { MaxTasksPerRun = 10 }));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reconciler.RunAsync(cancel.Token));

        Assert.Equal(0, await _scenario.DrainAsync());
    }

    [Fact]
    public async Task ALateTick_CountsTheWindowBackFromTheSchedulesLastRun_SoTheTaskThatLeftTheWindowMeanwhileIsStillTaken()
    {
        var reconciler = ActivatorUtilities.CreateInstance<TaskReconciler>(_scenario.Host.Services,
            Options.Create(new ReconciliationOptions { WindowDays = 1 }));
        // op-rec's last push was at 10:00 on the 26th; it is now 12:00 on the 27th, 26 hours later.
        _time.Advance(TimeSpan.FromHours(26));

        await TickAsync(_time.GetUtcNow().AddMinutes(-15), reconciler); // on time: the window starts at 11:45 on the 26th
        Assert.Empty(_scenario.Platform.Fake.RequestsTo(SubOperationsPath));

        await TickAsync(_time.GetUtcNow().AddHours(-3), reconciler); // the schedule last ran at 09:00: the window starts at 09:00 on the 26th

        Assert.Equal(2, _scenario.Platform.Fake.RequestsTo(SubOperationsPath).Count);
        Assert.Equal(4, await _scenario.DrainAsync());
        Assert.Equal(ReconciliationScenario.ReconciledPhases, await _scenario.PhasesAsync());
    }

    [Fact]
    public void TheWindow_StartsWindowDaysBeforeTheLastRun_FromNowWithoutOne_AndReachesBackAtMostOneMoreWindow()
    {
        var reconciler = ActivatorUtilities.CreateInstance<TaskReconciler>(_scenario.Host.Services,
            Options.Create(new ReconciliationOptions { WindowDays = 2 }));
        var now = _time.GetUtcNow();

        Assert.Equal(now.AddDays(-2).AddHours(-3), reconciler.WindowStart(now, now.AddHours(-3)));
        Assert.Equal(now.AddDays(-2), reconciler.WindowStart(now, null));
        Assert.Equal(now.AddDays(-2), reconciler.WindowStart(now, now.AddMinutes(5))); // a clock ahead of ours counts as now
        Assert.Equal(now.AddDays(-4), reconciler.WindowStart(now, now.AddDays(-30)));
        Assert.Null(ReconciliationTimerFunction.LastScheduledRun(new Microsoft.Azure.Functions.Worker.TimerInfo()));
        Assert.Equal(now.AddHours(-3), ReconciliationTimerFunction.LastScheduledRun(Timer(now.AddHours(-3))));
    }

    [Fact]
    public async Task ATaskThePlatformAlsoReportsUnsettled_BacksOff_IsSkippedUntilTheBackOffEnds_ThenDoubles_AndProgressClearsIt()
    {
        var reconciler = _scenario.Host.Services.GetRequiredService<TaskReconciler>();
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(4, (await reconciler.RunAsync(CancellationToken.None)).Repaired); // repairs are progress: no back-off
        Assert.Equal(4, await _scenario.DrainAsync());
        Assert.Null(await BackOffs.ReadAsync("op-rec", CancellationToken.None));

        _time.Advance(TimeSpan.FromMinutes(15));
        var quiet = await reconciler.RunAsync(CancellationToken.None); // sub-9 is processing on the platform too
        Assert.Equal((1, 0, 0), (quiet.TasksReconciled, quiet.Repaired, quiet.TasksBackingOff));
        var first = await BackOffs.ReadAsync("op-rec", CancellationToken.None);
        Assert.Equal((1, _time.GetUtcNow().AddHours(1)), (first!.Hours, first.NextAttempt));
        var asked = _scenario.Platform.Fake.RequestsTo(SubOperationsPath).Count;

        _time.Advance(TimeSpan.FromMinutes(59));
        var skipped = await reconciler.RunAsync(CancellationToken.None);
        Assert.Equal((0, 0, 1, 0), (skipped.TasksReconciled, skipped.TasksLeft, skipped.TasksBackingOff, skipped.PlatformCalls));
        Assert.Equal(asked, _scenario.Platform.Fake.RequestsTo(SubOperationsPath).Count);

        _time.Advance(TimeSpan.FromMinutes(1));
        var again = await reconciler.RunAsync(CancellationToken.None); // the hour is up: asked again, the same answer
        Assert.Equal((1, 0), (again.TasksReconciled, again.TasksBackingOff));
        Assert.True(_scenario.Platform.Fake.RequestsTo(SubOperationsPath).Count > asked);
        Assert.Equal(2, (await BackOffs.ReadAsync("op-rec", CancellationToken.None))!.Hours);

        // The back-off row lives in the tasks partition, yet the task list still shows just the one task.
        using (var list = await _scenario.Host.Client.GetAsync("/api/upgrades"))
        {
            using var json = System.Text.Json.JsonDocument.Parse(await list.Content.ReadAsStringAsync());
            Assert.Equal(["op-rec"], json.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("operationId").GetString()));
        }

        _scenario.Platform.Fake.SetSubOperation("op-rec", "sub-9", "dev-9", "success", ReconciliationScenario.Stop.AddMinutes(30));
        _time.Advance(TimeSpan.FromHours(2));
        var progress = await reconciler.RunAsync(CancellationToken.None);
        Assert.Equal((1, 1), (progress.TasksReconciled, progress.Repaired));
        Assert.Null(await BackOffs.ReadAsync("op-rec", CancellationToken.None));
    }

    [Fact]
    public async Task TheBackOff_DoublesUpToTheMaximum_ForTheSameAnswer_AndStartsAtOneHourForAnother()
    {
        var backOffs = ActivatorUtilities.CreateInstance<ReconciliationBackOffs>(_scenario.Host.Services,
            Options.Create(new ReconciliationOptions { MaxBackOffHours = 5 }));
        var now = _time.GetUtcNow();

        ReconciliationBackOff? backOff = null;
        var hours = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            backOff = await backOffs.BackOffAsync("op-doubling", backOff, "answer-a", now, CancellationToken.None);
            hours.Add(backOff.Hours);
        }

        var other = await backOffs.BackOffAsync("op-doubling", backOff, "answer-b", now, CancellationToken.None);

        Assert.Equal([1, 2, 4, 5, 5], hours);
        Assert.Equal((1, now.AddHours(1)), (other.Hours, other.NextAttempt));
        Assert.Equal(other, await backOffs.ReadAsync("op-doubling", CancellationToken.None));
    }

    /// <summary>The app's queue, except that every message of one task fails with the given exception.</summary>
    private sealed class FailingForOneTaskQueue(SwUpgradeFunc.Receiving.INotificationQueue inner, string operationId, Func<Exception> failure)
        : SwUpgradeFunc.Receiving.INotificationQueue
    {
        public Task EnqueueAsync(BinaryData message, CancellationToken cancellationToken) =>
            message.ToString().Contains(operationId, StringComparison.Ordinal)
                ? Task.FromException(failure())
                : inner.EnqueueAsync(message, cancellationToken);
    }

    [Fact]
    public void WithoutThePlatformSettings_ReconciliationIsOff_SaidOnce_NamingTheMissingSettings()
    {
        var logger = new FakeLogger<PlatformClientProvider>();
        using var provider = new PlatformClientProvider(
            Options.Create(new PlatformOptions { BaseUrl = "https://platform.example.net:8743", AppId = "app-1", AppSecret = "" }),
            TimeProvider.System, logger);

        Assert.Null(provider.Client);
        Assert.Null(provider.Client);

        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Contains("Platform__AppSecret", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Platform__AppId", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APlainHttpPlatformUrl_TurnsReconciliationOff_WithTheReason()
    {
        var logger = new FakeLogger<PlatformClientProvider>();
        using var provider = new PlatformClientProvider(
            Options.Create(new PlatformOptions { BaseUrl = "http://platform.example.net", AppId = "app-1", AppSecret = "s3cret-value" }),
            TimeProvider.System, logger);

        Assert.Null(provider.Client);
        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Contains("https", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecretThePlatformRejects_IsLogged_NamingTheAppsSettings_NeverTheClis()
    {
        _scenario.Platform.Fake.Secret = "rotated-on-the-platform";
        _time.Advance(TimeSpan.FromHours(2));
        var logger = new FakeLogger<TaskReconciler>();
        var reconciler = ActivatorUtilities.CreateInstance<TaskReconciler>(_scenario.Host.Services, logger);

        var run = await reconciler.RunAsync(CancellationToken.None);

        Assert.Equal((true, 1, 0, 1), (run.Ran, run.TasksReconciled, run.Repaired, run.TasksFailed));
        var failed = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("100208", failed.Message, StringComparison.Ordinal);
        Assert.Contains("Check Platform__AppId and Platform__AppSecret", failed.Message, StringComparison.Ordinal);
        AssertNamesNoCliSetting(failed.Message);
        Assert.DoesNotContain(FakeHuaweiPlatform.DefaultSecret, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACaFileThatCannotBeRead_TurnsReconciliationOff_NamingTheAppsSetting_NeverTheClis()
    {
        var logger = new FakeLogger<PlatformClientProvider>();
        using var provider = new PlatformClientProvider(
            Options.Create(new PlatformOptions
            {
                BaseUrl = "https://platform.example.net:8743",
                AppId = "app-1",
                AppSecret = "s3cret-value",
                CaFile = Path.Combine(Path.GetTempPath(), "no-such-platform-ca.pem"),
            }),
            TimeProvider.System, logger);

        Assert.Null(provider.Client);
        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Contains("no-such-platform-ca.pem", record.Message, StringComparison.Ordinal);
        Assert.Contains("Set Platform__CaFile", record.Message, StringComparison.Ordinal);
        AssertNamesNoCliSetting(record.Message);
        Assert.DoesNotContain("s3cret-value", record.Message, StringComparison.Ordinal);
    }

    private static void AssertNamesNoCliSetting(string message)
    {
        Assert.DoesNotContain("SWUPGRADE_", message, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?<![\w-])--[a-z]", message);
        Assert.DoesNotContain("'swupgrade ", message, StringComparison.Ordinal);
    }
}
