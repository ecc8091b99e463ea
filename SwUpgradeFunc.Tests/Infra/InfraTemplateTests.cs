using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SwUpgradeFunc.Tests.Infra;

/// <summary>Security and wiring properties of the compiled infra/main.bicep (ARM JSON).</summary>
public sealed partial class InfraTemplateTests(BicepTemplate template) : IClassFixture<BicepTemplate>
{
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";

    // Settings of local.settings.sample.json that Azure provides by other means; and, until the template writes them,
    // the reconciliation settings whose code defaults serve Azure (the template is to set them explicitly).
    private static readonly string[] SettingsNotInAppSettings =
    [
        "FUNCTIONS_WORKER_RUNTIME",
        "Platform__CaFile", // a file path on the machine that runs the app; in Azure the platform's CA is a public one
    ];

    [Fact]
    public void StorageAccount_DisablesSharedKeyAccess()
    {
        var properties = Storage()["properties"]!;
        Assert.False((bool)properties["allowSharedKeyAccess"]!);
        Assert.True((bool)properties["defaultToOAuthAuthentication"]!);
    }

    [Fact]
    public void StorageAccount_DisallowsPublicBlobAccess()
    {
        Assert.False((bool)Storage()["properties"]!["allowBlobPublicAccess"]!);
        var container = template.SingleResourceOfType("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Equal("None", (string?)container["properties"]!["publicAccess"]);
    }

    [Fact]
    public void StorageAccount_RequiresHttpsAndTls12()
    {
        var properties = Storage()["properties"]!;
        Assert.Equal("TLS1_2", (string?)properties["minimumTlsVersion"]);
        Assert.True((bool)properties["supportsHttpsTrafficOnly"]!);
    }

    [Fact]
    public void Storage_CreatesNotificationsQueueAndItsPoisonQueue()
    {
        var queueName = Variable("notificationsQueueName");
        Assert.Equal("swupgrade-notifications", queueName);

        var storage = template.Module("storage");
        var queues = BicepTemplate.Resources(storage)
            .Where(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues")
            .Select(r => (string)r["name"]!)
            .ToList();
        Assert.Contains(queues, n => n.EndsWith("parameters('notificationsQueueName'))]", StringComparison.Ordinal));
        Assert.Contains(queues, n => n.Contains("format('{0}-poison', parameters('notificationsQueueName'))", StringComparison.Ordinal));
        Assert.Equal("[variables('notificationsQueueName')]", (string?)template.ModuleParameters("storage")["notificationsQueueName"]!["value"]);
    }

    [Fact]
    public void Storage_CreatesStateTable()
    {
        Assert.Equal("swupgradestate", Variable("stateTableName"));
        Assert.Equal(new SwUpgradeFunc.Upgrades.UpgradesOptions().TableName, Variable("stateTableName")); // a run without the setting uses the same table
        var table = template.SingleResourceOfType("Microsoft.Storage/storageAccounts/tableServices/tables");
        Assert.EndsWith("parameters('stateTableName'))]", (string)table["name"]!, StringComparison.Ordinal);
        Assert.Equal("[variables('stateTableName')]", (string?)template.ModuleParameters("storage")["stateTableName"]!["value"]);
    }

    [Fact]
    public void FunctionApp_RunsOnFlexConsumptionPlan()
    {
        var plan = template.SingleResourceOfType("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        Assert.True((bool)plan["properties"]!["reserved"]!);
        Assert.Equal("functionapp,linux", (string?)Site()["kind"]);
    }

    [Fact]
    public void FunctionApp_RunsDotnetIsolated10()
    {
        var runtime = Site()["properties"]!["functionAppConfig"]!["runtime"]!;
        Assert.Equal("dotnet-isolated", (string?)runtime["name"]);
        Assert.Equal("10.0", (string?)runtime["version"]);
    }

    [Fact]
    public void FunctionApp_IsHttpsOnlyWithTls12_AndRefusesBasicCredentialsOnTheDeploymentEndpoint()
    {
        var properties = Site()["properties"]!;
        Assert.True((bool)properties["httpsOnly"]!);
        Assert.Equal("1.2", (string?)properties["siteConfig"]!["minTlsVersion"]);
        Assert.Equal("1.2", (string?)properties["siteConfig"]!["scmMinTlsVersion"]);

        // Flex Consumption has no FTP endpoint: no ftpsState and no ftp policy, only the scm one.
        Assert.False(properties["siteConfig"]!.AsObject().ContainsKey("ftpsState"));
        var policy = Assert.Single(template.ResourcesOfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies"));
        Assert.EndsWith("'scm')]", (string)policy["name"]!, StringComparison.Ordinal);
        Assert.False((bool)policy["properties"]!["allow"]!);
    }

    [Fact]
    public void FunctionApp_RunsAsUserAssignedIdentity()
    {
        var site = Site();
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        var identities = site["identity"]!["userAssignedIdentities"]!.AsObject();
        Assert.Equal("[format('{0}', parameters('identityId'))]", Assert.Single(identities).Key);
        Assert.Contains("'identity'", (string?)template.ModuleParameters("function")["identityId"]!["value"], StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionApp_DeploysFromBlobContainerWithItsIdentity()
    {
        var storage = Site()["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!;
        Assert.Equal("blobContainer", (string?)storage["type"]);
        Assert.Contains("parameters('blobEndpoint')", (string?)storage["value"], StringComparison.Ordinal);
        Assert.Equal("UserAssignedIdentity", (string?)storage["authentication"]!["type"]);
        Assert.Equal("[parameters('identityId')]", (string?)storage["authentication"]!["userAssignedIdentityResourceId"]);
        Assert.Null(storage["authentication"]!["storageAccountConnectionStringName"]);
    }

    [Fact]
    public void FunctionApp_SetsEverySettingTheCodeReads()
    {
        var settings = AppSettings();
        var sample = ReadSampleSettings();
        var missing = new List<string>();
        foreach (var (name, value) in sample)
        {
            if (SettingsNotInAppSettings.Contains(name))
            {
                continue;
            }

            if (IsStorageConnectionString(value))
            {
                // A connection in Azure is identity-based: <name>__credential/__clientId plus the account or URIs.
                Assert.False(settings.ContainsKey(name), $"{name} must be identity-based, not a connection string");
                missing.AddRange(new[] { $"{name}__credential", $"{name}__clientId" }.Where(n => !settings.ContainsKey(n)));
                if (!settings.Any(s => s.Key == $"{name}__accountName" || (s.Key.StartsWith($"{name}__", StringComparison.Ordinal) && s.Key.EndsWith("ServiceUri", StringComparison.Ordinal))))
                {
                    missing.Add($"{name}__accountName or {name}__<service>ServiceUri");
                }
            }
            else if (!settings.ContainsKey(name))
            {
                missing.Add(name);
            }
        }

        Assert.True(missing.Count == 0, "app settings missing: " + string.Join(", ", missing));
        Assert.Contains("Upgrades__TableName", settings.Keys);
        Assert.Contains("Upgrades__HistoryLimit", settings.Keys);
        Assert.Equal(new SwUpgradeFunc.Upgrades.UpgradesOptions().HistoryLimit, (int)template.Main["parameters"]!["upgradesHistoryLimit"]!["defaultValue"]!);
    }

    [Fact]
    public void FunctionApp_ConnectsToStorageWithItsManagedIdentity()
    {
        var settings = AppSettings();
        Assert.Equal("[parameters('queueEndpoint')]", settings["SwUpgradeStorage__queueServiceUri"]);
        Assert.Equal("[parameters('tableEndpoint')]", settings["SwUpgradeStorage__tableServiceUri"]);
        foreach (var connection in new[] { "AzureWebJobsStorage", "SwUpgradeStorage" })
        {
            Assert.Equal("managedidentity", settings[$"{connection}__credential"]);
            Assert.Equal("[parameters('identityClientId')]", settings[$"{connection}__clientId"]);
        }

        Assert.Equal("swupgrade-notifications", Variable("notificationsQueueName"));
        Assert.Equal("[parameters('notificationsQueueName')]", settings["NotificationsQueueName"]);
        Assert.Equal("[parameters('stateTableName')]", settings["Upgrades__TableName"]);
    }

    [Fact]
    public void FunctionApp_SendsTelemetryWithEntraId()
    {
        var settings = AppSettings();
        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Equal("[parameters('applicationInsightsConnectionString')]", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
    }

    [Fact]
    public void FunctionApp_SetsTheReconcileSchedule_TheTriggerNeeds_AtTheCodesDefaults_AndNotTheRetiredInterval()
    {
        var settings = AppSettings();
        var sample = ReadSampleSettings().ToDictionary(s => s.Name, s => s.Value);
        var defaults = new SwUpgradeFunc.Reconciliation.ReconciliationOptions();

        foreach (var values in new[] { settings, sample })
        {
            Assert.Equal(defaults.Schedule, values["ReconcileSchedule"]);
            Assert.Equal(defaults.WindowDays.ToString(System.Globalization.CultureInfo.InvariantCulture), values["Reconcile__WindowDays"]);
            Assert.Equal(defaults.MaxBackOffHours.ToString(System.Globalization.CultureInfo.InvariantCulture), values["Reconcile__MaxBackOffHours"]);
            Assert.DoesNotContain("Reconcile__IntervalMinutes", values.Keys);
        }
    }

    [Fact]
    public void FunctionApp_ReadsPlatformSecretAsKeyVaultReference()
    {
        var settings = AppSettings();
        var secret = settings["Platform__AppSecret"];
        Assert.Contains("@Microsoft.KeyVault(SecretUri={0})", secret, StringComparison.Ordinal);
        Assert.Contains("parameters('platformAppSecretUri')", secret, StringComparison.Ordinal);
        Assert.Contains("Platform__AppId", settings.Keys);
        Assert.Contains("Platform__BaseUrl", settings.Keys);
        Assert.Equal("[parameters('identityId')]", (string?)Site()["properties"]!["keyVaultReferenceIdentity"]);

        // The function module never sees the secret itself: only whether one was given.
        var passed = template.ModuleParameters("function").ToJsonString();
        Assert.DoesNotMatch(SecretUseOtherThanEmptinessCheck(), passed.Replace("empty(parameters('platformAppSecret'))", "", StringComparison.Ordinal));
        Assert.DoesNotContain(
            template.Module("function")["parameters"]!.AsObject(),
            p => (string?)p.Value!["type"] == "securestring");
    }

    [Fact]
    public void FunctionApp_HasNoPlainTextSecretsInSettings()
    {
        foreach (var (name, value) in AppSettings())
        {
            Assert.DoesNotContain("AccountKey=", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessKey", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("InstrumentationKey=", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("listKeys", value, StringComparison.OrdinalIgnoreCase);
            Assert.False(name.EndsWith("Secret", StringComparison.OrdinalIgnoreCase) && !value.Contains("@Microsoft.KeyVault(", StringComparison.Ordinal), $"{name} must be a Key Vault reference");
        }

        Assert.Equal("securestring", (string?)template.Main["parameters"]!["platformAppSecret"]!["type"]);
    }

    [Fact]
    public void KeyVault_UsesRbacAndHoldsThePlatformSecretOnlyWhenGiven()
    {
        var vault = template.SingleResourceOfType("Microsoft.KeyVault/vaults");
        Assert.True((bool)vault["properties"]!["enableRbacAuthorization"]!);
        var secret = template.ResourcesOfType("Microsoft.KeyVault/vaults/secrets")
            .Single(r => ((string)r["name"]!).Contains("platformAppSecretName", StringComparison.Ordinal));
        Assert.Equal("[not(empty(parameters('platformAppSecret')))]", (string?)secret["condition"]);
        Assert.Equal("[parameters('platformAppSecret')]", (string?)secret["properties"]!["value"]);
    }

    [Fact]
    public void ApplicationInsights_DisablesLocalAuthenticationAndUsesLogAnalytics()
    {
        var insights = template.SingleResourceOfType("Microsoft.Insights/components");
        Assert.True((bool)insights["properties"]!["DisableLocalAuth"]!);
        Assert.Contains("Microsoft.OperationalInsights/workspaces", (string?)insights["properties"]!["WorkspaceResourceId"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StorageBlobDataOwner, "Microsoft.Storage/storageAccounts")]
    [InlineData(StorageQueueDataContributor, "Microsoft.Storage/storageAccounts")]
    [InlineData(StorageTableDataContributor, "Microsoft.Storage/storageAccounts")]
    [InlineData(MonitoringMetricsPublisher, "Microsoft.Insights/components")]
    [InlineData(KeyVaultSecretsUser, "Microsoft.KeyVault/vaults")]
    public void Identity_IsGrantedRole(string roleDefinitionId, string scopeType)
    {
        var grants = RoleAssignments("[parameters('identityPrincipalId')]");
        Assert.Contains(grants, g => g.RoleIds.Contains(roleDefinitionId) && g.Scope.Contains(scopeType, StringComparison.Ordinal) && g.PrincipalType == "ServicePrincipal");
        Assert.Contains("'identity'", (string?)template.ModuleParameters("rbac")["identityPrincipalId"]!["value"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StorageBlobDataOwner)]
    [InlineData(StorageQueueDataContributor)]
    [InlineData(StorageTableDataContributor)]
    [InlineData(MonitoringMetricsPublisher)]
    public void DeployingUser_IsOptionallyGrantedTheSameDataRoles(string roleDefinitionId)
    {
        var grants = RoleAssignments("[parameters('userPrincipalId')]");
        Assert.Contains(grants, g => g.RoleIds.Contains(roleDefinitionId) && g.Condition is not null);
        Assert.Equal("[parameters('principalId')]", (string?)template.ModuleParameters("rbac")["userPrincipalId"]!["value"]);
    }

    [Fact]
    public void FunctionApp_RestrictsInboundTrafficToPushSourcesOnlyWhenGiven()
    {
        var siteConfig = Site()["properties"]!["siteConfig"]!;
        var function = template.Module("function");
        Assert.Equal("[not(empty(parameters('pushSourceAddresses')))]", (string?)function["variables"]!["restrict"]);
        Assert.Equal("[if(variables('restrict'), 'Deny', 'Allow')]", (string?)siteConfig["ipSecurityRestrictionsDefaultAction"]);
        Assert.Contains("variables('pushRules')", (string?)siteConfig["ipSecurityRestrictions"], StringComparison.Ordinal);

        // The deployment (scm) endpoint keeps its own rules so that azd can deploy from anywhere with Entra ID.
        Assert.False((bool)siteConfig["scmIpSecurityRestrictionsUseMain"]!);
    }

    [Fact]
    public void FunctionApp_IsTaggedWithTheAzdServiceName()
    {
        Assert.Contains("'azd-service-name', parameters('serviceName')", (string?)Site()["tags"], StringComparison.Ordinal);
        Assert.Equal("SwUpgradeFunc", Variable("serviceName"));
    }

    [Theory]
    [InlineData("AZURE_FUNCTION_APP_NAME")]
    [InlineData("AZURE_FUNCTION_HOST_NAME")]
    [InlineData("CALLBACK_URL")]
    [InlineData("AZURE_RESOURCE_GROUP")]
    public void Outputs_IncludeValuesForAzdAndTheRegistrationHook(string name)
    {
        var output = template.Main["outputs"]![name];
        Assert.NotNull(output);
        Assert.Equal("string", (string?)output["type"]);
    }

    [Fact]
    public void Outputs_CallbackUrlIsTheHttpsMessageReceiverRoute()
    {
        var value = (string)template.Main["outputs"]!["CALLBACK_URL"]!["value"]!;
        Assert.StartsWith("[format('https://{0}/v1.0.0/messageReceiver', ", value, StringComparison.Ordinal);
        Assert.Contains("outputs.defaultHostName.value", value, StringComparison.Ordinal);
    }

    private JsonObject Storage() => template.SingleResourceOfType("Microsoft.Storage/storageAccounts");

    private JsonObject Site() => template.SingleResourceOfType("Microsoft.Web/sites");

    private string? Variable(string name) => (string?)template.Main["variables"]![name];

    private Dictionary<string, string> AppSettings()
    {
        var config = template.ResourcesOfType("Microsoft.Web/sites/config")
            .Single(r => ((string)r["name"]!).Contains("'appsettings'", StringComparison.Ordinal));
        return config["properties"]!.AsObject().ToDictionary(p => p.Key, p => (string?)p.Value ?? "");
    }

    private List<(HashSet<string> RoleIds, string Scope, string? PrincipalType, string? Condition)> RoleAssignments(string principalId) =>
        template.AllResources()
            .Where(r => (string?)r.Resource["type"] == "Microsoft.Authorization/roleAssignments"
                && (string?)r.Resource["properties"]!["principalId"] == principalId)
            .Select(r => (
                RoleIds: Guid().Matches(BicepTemplate.ExpandVariables((string)r.Resource["properties"]!["roleDefinitionId"]!, r.Template))
                    .Select(m => m.Value).ToHashSet(StringComparer.OrdinalIgnoreCase),
                Scope: (string?)r.Resource["scope"] ?? "",
                PrincipalType: (string?)r.Resource["properties"]!["principalType"],
                Condition: (string?)r.Resource["condition"]))
            .ToList();

    private List<(string Name, string Value)> ReadSampleSettings()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(template.RepositoryRoot, "local.settings.sample.json")));
        return sample.RootElement.GetProperty("Values").EnumerateObject()
            .Select(p => (p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText()))
            .ToList();
    }

    private static bool IsStorageConnectionString(string value) =>
        value.StartsWith("UseDevelopmentStorage=", StringComparison.OrdinalIgnoreCase)
        || value.Contains("AccountName=", StringComparison.OrdinalIgnoreCase)
        || value.Contains("DefaultEndpointsProtocol=", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", RegexOptions.IgnoreCase)]
    private static partial Regex Guid();

    [GeneratedRegex(@"parameters\('platformAppSecret'\)")]
    private static partial Regex SecretUseOtherThanEmptinessCheck();
}
