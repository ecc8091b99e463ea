using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>Options are validated when the app starts, so a bad setting stops it with the key named.</summary>
public class StartupTests
{
    [Theory]
    [InlineData("NotificationsQueueName", "Bad_Queue", "NotificationsQueueName")]
    [InlineData("Receiver:MaxBodyBytes", "100000", "MaxBodyBytes")]
    [InlineData("Receiver:EnqueueTimeoutSeconds", "15", "EnqueueTimeoutSeconds")]
    [InlineData("Upgrades:TableName", "no-dashes", "Upgrades:TableName")]
    [InlineData("Upgrades:HistoryLimit", "1000", "HistoryLimit")]
    public async Task Start_Fails_NamingTheSetting_WhenAValueIsInvalid(string key, string value, string named)
    {
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        settings[key] = value;

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => FunctionsTestHost.StartAsync(settings));

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Fails_NamingTheNewSetting_WhenTheRetiredQueueNameKeyIsSet()
    {
        // The trigger binds only NotificationsQueueName: a leftover Notifications__QueueName would silently send the
        // receiver and the trigger to different queues if it were still read.
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        settings["Notifications:QueueName"] = "q-old";

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => FunctionsTestHost.StartAsync(settings));

        Assert.Contains("Notifications__QueueName", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set NotificationsQueueName", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ReconcileSchedule", "every 15 minutes", "ReconcileSchedule")]
    [InlineData("ReconcileSchedule", "*/15 * * * *", "ReconcileSchedule")] // five fields: the host's timer wants seconds too
    [InlineData("Reconcile:WindowDays", "0", "WindowDays")]
    [InlineData("Reconcile:WindowDays", "seven", "WindowDays")]
    [InlineData("Reconcile:MaxBackOffHours", "0", "MaxBackOffHours")]
    [InlineData("Reconcile:MaxBackOffHours", "721", "MaxBackOffHours")]
    public async Task Start_Fails_NamingTheReconcileSetting_WhenAValueIsInvalid(string key, string value, string named)
    {
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        settings[key] = value;

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => FunctionsTestHost.StartAsync(settings));

        Assert.True(ex is OptionsValidationException or InvalidOperationException, ex.ToString());
        Assert.Contains(named, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Fails_NamingTheSchedule_WhenTheRetiredIntervalSettingIsSet()
    {
        // The timer fires on ReconcileSchedule alone: a leftover interval would otherwise be silently ignored.
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        settings["Reconcile:IntervalMinutes"] = "15";

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => FunctionsTestHost.StartAsync(settings));

        Assert.Contains("Reconcile__IntervalMinutes is no longer read", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set ReconcileSchedule", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_BindsTheReconcileSettings_WhenTheyAreValid()
    {
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        settings["ReconcileSchedule"] = "0 */5 * * * *";
        settings["Reconcile:WindowDays"] = "30";
        settings["Reconcile:MaxBackOffHours"] = "48";

        await using var host = await FunctionsTestHost.StartAsync(settings);

        var options = host.Services.GetRequiredService<IOptions<SwUpgradeFunc.Reconciliation.ReconciliationOptions>>().Value;
        Assert.Equal(("0 */5 * * * *", 30, 48), (options.Schedule, options.WindowDays, options.MaxBackOffHours));
    }

    [Fact]
    public async Task Start_WarnsThatEveryAppIdIsAccepted_WhenTheAllowListIsEmpty()
    {
        var logs = new FakeLogCollector();
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");

        await using (await FunctionsTestHost.StartAsync(settings, services => services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)))))
        {
        }

        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("Receiver:AllowedAppIds is empty", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_DoesNotWarn_WhenTheAllowListIsSet()
    {
        var logs = new FakeLogCollector();
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        settings["Receiver:AllowedAppIds"] = "app-1";

        await using (await FunctionsTestHost.StartAsync(settings, services => services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)))))
        {
        }

        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("AllowedAppIds", StringComparison.Ordinal));
    }
}
