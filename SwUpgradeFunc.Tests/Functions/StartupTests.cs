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
