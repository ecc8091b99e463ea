using System.Text.Json;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>
/// The Functions host binds triggers from the build's functions.metadata, not from our code; no host runs here,
/// so the bindings the host would read are asserted on the built file itself.
/// </summary>
public class FunctionsMetadataTests
{
    internal static JsonArray Metadata()
    {
        var path = RepositoryPaths.Combine("SwUpgradeFunc", "bin", RepositoryPaths.Configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build SwUpgradeFunc first.");
        return JsonNode.Parse(File.ReadAllText(path))!.AsArray();
    }

    internal static JsonObject Function(string name) =>
        Metadata().Single(f => f!["name"]!.GetValue<string>() == name)!.AsObject();

    internal static JsonObject Trigger(string name) =>
        Function(name)["bindings"]!.AsArray().Single(b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!
            .AsObject();

    [Fact]
    public void MessageReceiver_IsAnAnonymousPostOnlyTrigger_OnTheCallbackRoute()
    {
        var trigger = Trigger("MessageReceiver");

        Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("v1.0.0/messageReceiver", trigger["route"]!.GetValue<string>());
        Assert.Equal(["post"], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Anonymous", trigger["authLevel"]!.GetValue<string>());
        Assert.Equal("SwUpgradeFunc.Functions.MessageReceiverFunction.Run", Function("MessageReceiver")["entryPoint"]!.GetValue<string>());
    }

    [Fact]
    public void ProcessNotification_IsTriggeredByTheConfiguredQueue_OnTheAppsStorageConnection()
    {
        var trigger = Trigger("ProcessNotification");

        Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
        // One flat setting name (no ':' or '__'), the one the receiver's options read: the scale controller resolves
        // it against the app settings as it is written.
        Assert.Equal("%NotificationsQueueName%", trigger["queueName"]!.GetValue<string>());
        Assert.Equal("SwUpgradeStorage", trigger["connection"]!.GetValue<string>());
    }

    [Fact]
    public void ProcessNotification_BindsTheQueueMessage_ThroughTheWorkersDeferredBinding()
    {
        // The function takes a QueueMessage: the host then hands over the whole message (decoded text, id, dequeue
        // count) for the worker's converter instead of a string, which is what supportsDeferredBinding and the absent
        // dataType tell it. Anything else in this binding would change how the host binds it.
        var expected = JsonNode.Parse("""
            {
              "name": "message",
              "direction": "In",
              "type": "queueTrigger",
              "queueName": "%NotificationsQueueName%",
              "connection": "SwUpgradeStorage",
              "properties": { "supportsDeferredBinding": "True" }
            }
            """);

        Assert.True(JsonNode.DeepEquals(expected, Trigger("ProcessNotification")), Trigger("ProcessNotification").ToJsonString());
        Assert.Single(Function("ProcessNotification")["bindings"]!.AsArray());
    }

    [Theory]
    [InlineData("ListUpgrades", "api/upgrades")]
    [InlineData("GetUpgradeProgress", "api/upgrades/{operationId}")]
    [InlineData("ListUpgradeSubTasks", "api/upgrades/{operationId}/subtasks")]
    [InlineData("ExportUpgradeSubTasksCsv", "api/upgrades/{operationId}/subtasks.csv")]
    [InlineData("GetUpgradeTimeline", "api/upgrades/{operationId}/timeline")]
    [InlineData("GetDeviceUpgrades", "api/devices/{deviceId}/upgrades")]
    [InlineData("GetUpgradeFailureReasons", "api/upgrades/{operationId}/failures")]
    [InlineData("GetUpgradeSourceVersions", "api/upgrades/{operationId}/versions")]
    public void StatusApi_IsGetOnly_BehindFunctionKeys(string function, string route)
    {
        var trigger = Trigger(function);

        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal(["get"], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Function", trigger["authLevel"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Dashboard", "dashboard", "Shell")]
    [InlineData("DashboardAsset", "dashboard/{asset}", "Asset")]
    public void Dashboard_IsAnAnonymousGet_ThatHoldsNoData(string function, string route, string method)
    {
        var trigger = Trigger(function);

        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal(["get"], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Anonymous", trigger["authLevel"]!.GetValue<string>());
        Assert.Equal("SwUpgradeFunc.Functions.DashboardFunctions." + method, Function(function)["entryPoint"]!.GetValue<string>());
    }

    [Fact]
    public void PostReconciliations_IsAPostOnlyRoute_BehindFunctionKeys()
    {
        var trigger = Trigger("PostReconciliations");

        Assert.Equal("api/upgrades/{operationId}/reconciliations", trigger["route"]!.GetValue<string>());
        Assert.Equal(["post"], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Function", trigger["authLevel"]!.GetValue<string>());
    }

    [Fact]
    public void DeleteUpgrade_IsADeleteOnTheTasksRoute_BehindFunctionKeys()
    {
        var trigger = Trigger("DeleteUpgrade");

        Assert.Equal("api/upgrades/{operationId}", trigger["route"]!.GetValue<string>());
        Assert.Equal(["delete"], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("Function", trigger["authLevel"]!.GetValue<string>());
        Assert.Equal("SwUpgradeFunc.Functions.TaskDeletionFunction.Run", Function("DeleteUpgrade")["entryPoint"]!.GetValue<string>());
    }

    [Fact]
    public void Reconcile_IsATimer_OnTheScheduleOfTheReconcileScheduleSetting()
    {
        var trigger = Trigger("Reconcile");

        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal("%ReconcileSchedule%", trigger["schedule"]!.GetValue<string>());
        Assert.Equal("SwUpgradeFunc.Functions.ReconciliationTimerFunction.Run", Function("Reconcile")["entryPoint"]!.GetValue<string>());
    }

    [Fact]
    public void Metadata_DeclaresExactlyTheAppsFunctions()
    {
        Assert.Equal(["Dashboard", "DashboardAsset", "DeleteUpgrade", "ExportUpgradeSubTasksCsv", "GetDeviceUpgrades", "GetUpgradeFailureReasons",
                "GetUpgradeProgress", "GetUpgradeSourceVersions", "GetUpgradeTimeline", "ListUpgradeSubTasks", "ListUpgrades", "MessageReceiver",
                "PostReconciliations", "ProcessNotification", "Reconcile", "Retention"],
            Metadata().Select(f => f!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void HostJson_PollsTheQueueWithinSeconds_EvenAfterItWasIdle()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")));
        var interval = host.RootElement.GetProperty("extensions").GetProperty("queues").GetProperty("maxPollingInterval").GetString();

        Assert.True(TimeSpan.Parse(interval!, System.Globalization.CultureInfo.InvariantCulture) <= TimeSpan.FromSeconds(5), interval);
    }

    [Fact]
    public void HostJson_ServesTheCallbackAtTheRoot_AndWritesOutTheQueueSettings()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")));
        var extensions = host.RootElement.GetProperty("extensions");

        Assert.Equal("", extensions.GetProperty("http").GetProperty("routePrefix").GetString());
        var queues = extensions.GetProperty("queues");
        Assert.Equal("base64", queues.GetProperty("messageEncoding").GetString());
        Assert.True(queues.GetProperty("maxDequeueCount").GetInt32() >= 1);
        Assert.True(queues.GetProperty("batchSize").GetInt32() >= 1);
        Assert.True(TimeSpan.TryParse(queues.GetProperty("visibilityTimeout").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public void HostJson_IsCopiedIntoTheFunctionAppOutput()
    {
        var copied = RepositoryPaths.Combine("SwUpgradeFunc", "bin", RepositoryPaths.Configuration, "net10.0", "host.json");

        Assert.Equal(File.ReadAllText(RepositoryPaths.Combine("host.json")), File.ReadAllText(copied));
    }
}
