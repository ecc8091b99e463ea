using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.Functions;

namespace SwUpgradeFunc.Tests.Infra;

/// <summary>
/// How the compiled template hosts the app on Flex Consumption: the queue trigger's setting, always-ready instances,
/// regions, the host's storage endpoints and the order of the writes to the site.
/// </summary>
public sealed partial class FunctionAppHostingTests(BicepTemplate template) : IClassFixture<BicepTemplate>
{
    [Fact]
    public void QueueTrigger_BindsOneFlatSetting_ThatTheTemplateSetsToTheQueueItCreates()
    {
        var binding = (string)FunctionsMetadataTests.Trigger("ProcessNotification")["queueName"]!;
        var match = SettingReference().Match(binding);
        Assert.True(match.Success, $"the trigger's queue name is not a single %setting%: {binding}");
        var setting = match.Groups["setting"].Value;
        Assert.DoesNotContain(":", setting, StringComparison.Ordinal);
        Assert.DoesNotContain("__", setting, StringComparison.Ordinal);

        // The template writes that setting from the same value the storage module creates the queue from.
        Assert.Equal("[parameters('notificationsQueueName')]", template.AppSettings()[setting]);
        Assert.Equal("[variables('notificationsQueueName')]", (string?)template.ModuleParameters("function")["notificationsQueueName"]!["value"]);
        Assert.Equal("[variables('notificationsQueueName')]", (string?)template.ModuleParameters("storage")["notificationsQueueName"]!["value"]);
        Assert.Contains(
            BicepTemplate.Resources(template.Module("storage")),
            r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues"
                && ((string)r["name"]!).EndsWith(", parameters('notificationsQueueName'))]", StringComparison.Ordinal));

        var queue = (string)template.Main["variables"]!["notificationsQueueName"]!;
        Assert.Equal(queue, template.SampleSettings()[setting]);
        Assert.Equal(queue, new NotificationQueueOptions().QueueName);
    }

    [Fact]
    public void Receiver_ReadsTheSettingTheTriggerBinds()
    {
        var binding = (string)FunctionsMetadataTests.Trigger("ProcessNotification")["queueName"]!;
        var setting = SettingReference().Match(binding).Groups["setting"].Value;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [setting] = "queue-from-the-setting" })
            .Build();
        using var services = new ServiceCollection().AddLogging().AddSwUpgradeFunc(configuration).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<NotificationQueueOptions>>().Value;

        Assert.Equal("queue-from-the-setting", options.QueueName);
    }

    [Fact]
    public void FunctionApp_KeepsOneHttpInstanceReadyByDefault_AndNoneAtZero()
    {
        var parameter = template.Main["parameters"]!["alwaysReadyHttpInstances"]!;
        Assert.Equal(1, (int)parameter["defaultValue"]!);
        Assert.Equal(0, (int)parameter["minValue"]!);
        Assert.Equal("[parameters('alwaysReadyHttpInstances')]", (string?)template.ModuleParameters("function")["alwaysReadyHttpInstances"]!["value"]);

        var scale = template.Site()["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!;
        Assert.Equal(
            "[if(greater(parameters('alwaysReadyHttpInstances'), 0), createArray(createObject('name', 'http', 'instanceCount', parameters('alwaysReadyHttpInstances'))), createArray())]",
            (string?)scale["alwaysReady"]);
    }

    [Fact]
    public void Location_AcceptsOnlyFlexConsumptionRegions()
    {
        var location = template.Main["parameters"]!["location"]!;
        var allowed = location["allowedValues"]!.AsArray().Select(v => (string)v!).ToList();

        Assert.NotEmpty(allowed);
        Assert.Equal(allowed.Count, allowed.Distinct(StringComparer.Ordinal).Count());
        Assert.All(allowed, region => Assert.Matches("^[a-z][a-z0-9]+$", region));
        Assert.Contains("eastus", allowed);
        Assert.Contains("northeurope", allowed);
        Assert.DoesNotContain(allowed, region => region.EndsWith("euap", StringComparison.Ordinal));
        Assert.Null(location["defaultValue"]);
        Assert.Equal("location", (string?)location["metadata"]!["azd"]!["type"]);
    }

    [Fact]
    public void HostStorage_IsNamedByTheAccountsServiceEndpoints()
    {
        var settings = template.AppSettings();
        Assert.DoesNotContain("AzureWebJobsStorage__accountName", settings.Keys);

        var outputs = template.Module("storage")["outputs"]!;
        foreach (var service in new[] { "blob", "queue", "table" })
        {
            Assert.Equal($"[parameters('{service}Endpoint')]", settings[$"AzureWebJobsStorage__{service}ServiceUri"]);
            Assert.Contains(
                $"'storage'), '2025-04-01').outputs.{service}Endpoint.value]",
                (string?)template.ModuleParameters("function")[$"{service}Endpoint"]!["value"],
                StringComparison.Ordinal);
            Assert.EndsWith($").primaryEndpoints.{service}]", (string?)outputs[$"{service}Endpoint"]!["value"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SiteWrites_AreChainedByDependsOn_SoNoTwoRunAtOnce()
    {
        var writes = BicepTemplate.Resources(template.Module("function"))
            .Where(r => ((string)r["type"]!).StartsWith("Microsoft.Web/sites/", StringComparison.Ordinal))
            .Select(r => new SiteWrite((string)r["type"]!, LastNameSegment().Match((string)r["name"]!).Groups["segment"].Value, r))
            .ToList();
        Assert.Contains(writes, w => w.Type == "Microsoft.Web/sites/config" && w.Name == "appsettings");
        Assert.Contains(writes, w => w.Type == "Microsoft.Web/sites/basicPublishingCredentialsPolicies" && w.Name == "scm");

        for (var i = 0; i < writes.Count; i++)
        {
            for (var j = i + 1; j < writes.Count; j++)
            {
                Assert.True(
                    Reaches(writes, writes[i], writes[j]) || Reaches(writes, writes[j], writes[i]),
                    $"{writes[i]} and {writes[j]} are not ordered: App Service would get both at once");
            }
        }
    }

    private static bool Reaches(List<SiteWrite> writes, SiteWrite from, SiteWrite to, int depth = 0) =>
        depth < writes.Count && writes.Where(from.DependsOn).Any(next => next == to || Reaches(writes, next, to, depth + 1));

    private sealed record SiteWrite(string Type, string Name, JsonObject Resource)
    {
        public bool DependsOn(SiteWrite other) =>
            Resource["dependsOn"] is JsonArray dependsOn
            && dependsOn.Select(d => (string?)d ?? "").Any(d =>
                d.StartsWith($"[resourceId('{other.Type}',", StringComparison.Ordinal)
                && d.EndsWith($", '{other.Name}')]", StringComparison.Ordinal));

        public override string ToString() => $"{Type}/{Name}";
    }

    [GeneratedRegex("^%(?<setting>[^%]+)%$")]
    private static partial Regex SettingReference();

    [GeneratedRegex(@"'(?<segment>[^']+)'\)\]$")]
    private static partial Regex LastNameSegment();
}
