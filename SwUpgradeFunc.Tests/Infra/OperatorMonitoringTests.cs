using System.Text.Json.Nodes;

namespace SwUpgradeFunc.Tests.Infra;

/// <summary>
/// What the template gives the operator API: its settings (one main parameter each, the app's defaults), the
/// settled-events queue with the right to send to it, and the failure-rate alert on the app's own threshold.
/// </summary>
public sealed class OperatorMonitoringTests(BicepTemplate template) : IClassFixture<BicepTemplate>
{
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";

    [Theory]
    [InlineData("Upgrades__StalledAfterMinutes", "stalledAfterMinutes", "60")]
    [InlineData("Upgrades__FailureRateThreshold", "failureRateThreshold", "0.1")]
    [InlineData("Upgrades__FailureRateMinSettled", "failureRateMinSettled", "20")]
    public void FunctionApp_SetsTheOperatorSetting_FromOneMainParameter_WithTheDefault(string setting, string parameter, string defaultValue)
    {
        Assert.Contains($"parameters('{parameter}')", template.AppSettings()[setting], StringComparison.Ordinal);
        Assert.Equal($"[parameters('{parameter}')]", (string?)template.ModuleParameters("function")[parameter]!["value"]);
        Assert.Equal(defaultValue, template.Main["parameters"]![parameter]!["defaultValue"]!.ToString());
        Assert.Equal(defaultValue, template.SampleSettings()[setting]);
    }

    [Fact]
    public void Storage_CreatesTheEventsQueue_AndTheAppIsToldItsName()
    {
        Assert.Equal("swupgrade-events", (string?)template.Main["variables"]!["eventsQueueName"]);
        Assert.Equal("[variables('eventsQueueName')]", (string?)template.ModuleParameters("storage")["eventsQueueName"]!["value"]);
        Assert.Equal("[variables('eventsQueueName')]", (string?)template.ModuleParameters("function")["eventsQueueName"]!["value"]);
        Assert.Contains(
            BicepTemplate.Resources(template.Module("storage")),
            r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues"
                && ((string)r["name"]!).EndsWith(", parameters('eventsQueueName'))]", StringComparison.Ordinal));
        Assert.Equal("[parameters('eventsQueueName')]", template.AppSettings()["Events__QueueName"]);
        Assert.Equal("swupgrade-events", template.SampleSettings()["Events__QueueName"]);
    }

    [Fact]
    public void Identity_MaySendToTheEventsQueue_ThroughTheAccountWideQueueRole()
    {
        // Granted on the account, not on one queue, so it covers the events queue as well as the notifications queue.
        var rbac = template.Module("rbac");
        var queueRoles = BicepTemplate.Resources(rbac)
            .Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments"
                && (string?)r["properties"]!["principalId"] == "[parameters('identityPrincipalId')]"
                && BicepTemplate.ExpandVariables((string)r["properties"]!["roleDefinitionId"]!, rbac).Contains(StorageQueueDataContributor, StringComparison.OrdinalIgnoreCase))
            .ToList();

        var grant = Assert.Single(queueRoles);
        Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]", (string?)grant["scope"]);
        Assert.Null(grant["condition"]);
        Assert.Contains("'storage'), '2025-04-01').outputs.name.value]", (string?)template.ModuleParameters("rbac")["storageAccountName"]!["value"], StringComparison.Ordinal);
    }

    [Fact]
    public void FailureRateAlert_FiresAboveTheAppsThreshold_OnceTheAppsMinimumSettled()
    {
        var rule = template.SingleResourceOfType("Microsoft.Insights/scheduledQueryRules");
        var alerts = template.Module("alerts");
        Assert.Equal("LogAlert", (string?)rule["kind"]);
        Assert.True((bool)rule["properties"]!["enabled"]!);
        Assert.Equal("[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]", (string?)Assert.Single(rule["properties"]!["scopes"]!.AsArray()));
        Assert.Contains("'monitoring'), '2025-04-01').outputs.applicationInsightsName.value]", (string?)template.ModuleParameters("alerts")["applicationInsightsName"]!["value"], StringComparison.Ordinal);

        var criterion = Assert.Single(rule["properties"]!["criteria"]!["allOf"]!.AsArray())!;
        Assert.Equal("GreaterThan", (string?)criterion["operator"]);
        Assert.Equal("failureRate", (string?)criterion["metricMeasureColumn"]);

        // The threshold is the very parameter the app setting Upgrades__FailureRateThreshold is written from.
        Assert.Equal("[json(parameters('failureRateThreshold'))]", (string?)criterion["threshold"]);
        Assert.Equal("[parameters('failureRateThreshold')]", (string?)template.ModuleParameters("alerts")["failureRateThreshold"]!["value"]);
        Assert.Equal("[parameters('failureRateThreshold')]", (string?)template.ModuleParameters("function")["failureRateThreshold"]!["value"]);
        Assert.Equal("[parameters('failureRateThreshold')]", template.AppSettings()["Upgrades__FailureRateThreshold"]);

        // So is the minimum, which the query applies before the rate can count.
        Assert.Equal("[format(variables('query'), parameters('failureRateMinSettled'))]", (string?)criterion["query"]);
        Assert.Equal("[parameters('failureRateMinSettled')]", (string?)template.ModuleParameters("alerts")["failureRateMinSettled"]!["value"]);
        Assert.Equal("[string(parameters('failureRateMinSettled'))]", template.AppSettings()["Upgrades__FailureRateMinSettled"]);

        var query = (string)alerts["variables"]!["query"]!;
        Assert.StartsWith("customMetrics", query.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("name == \"swupgrade.processor.settled\"", query, StringComparison.Ordinal);
        Assert.Contains("customDimensions[\"result\"]", query, StringComparison.Ordinal);
        Assert.Contains("failed = sumif(valueSum, result == \"failed\")", query, StringComparison.Ordinal);
        Assert.Contains("settled = sumif(valueSum, result in (\"succeeded\", \"failed\"))", query, StringComparison.Ordinal);
        Assert.Contains("| where settled >= {0}", query, StringComparison.Ordinal);
        Assert.Contains("failureRate = todouble(failed) / settled", query, StringComparison.Ordinal);
    }

    [Fact]
    public void FailureRateAlert_EmailsOnlyWhenAnAddressIsGiven()
    {
        var alerts = template.Module("alerts");
        Assert.Equal("[not(empty(parameters('alertEmail')))]", (string?)alerts["variables"]!["notify"]);

        var group = template.SingleResourceOfType("Microsoft.Insights/actionGroups");
        Assert.Equal("[variables('notify')]", (string?)group["condition"]);
        var receiver = Assert.Single(group["properties"]!["emailReceivers"]!.AsArray())!;
        Assert.Equal("[parameters('alertEmail')]", (string?)receiver["emailAddress"]);

        var rule = template.SingleResourceOfType("Microsoft.Insights/scheduledQueryRules");
        Assert.Equal(
            "[if(variables('notify'), createArray(resourceId('Microsoft.Insights/actionGroups', parameters('actionGroupName'))), createArray())]",
            (string?)rule["properties"]!["actions"]!["actionGroups"]);

        Assert.Equal("[parameters('alertEmail')]", (string?)template.ModuleParameters("alerts")["alertEmail"]!["value"]);
        Assert.Equal("", (string?)template.Main["parameters"]!["alertEmail"]!["defaultValue"]);
    }
}
