using System.Text.Json.Nodes;

namespace SwUpgradeFunc.Tests.Infra;

/// <summary>azd wiring: azure.yaml and infra/main.parameters.json agree with the compiled template.</summary>
public sealed class AzdProjectTests(BicepTemplate template) : IClassFixture<BicepTemplate>
{
    [Theory]
    [InlineData("environmentName", "${AZURE_ENV_NAME}")]
    [InlineData("location", "${AZURE_LOCATION}")]
    [InlineData("principalId", "${AZURE_PRINCIPAL_ID}")]
    [InlineData("platformBaseUrl", "${SWUPGRADE_PLATFORM_URL=}")]
    [InlineData("platformAppId", "${SWUPGRADE_APP_ID=}")]
    [InlineData("platformAppSecret", "${SWUPGRADE_APP_SECRET=}")]
    [InlineData("pushSourceAddresses", "${SWUPGRADE_PUSH_SOURCES=}")]
    [InlineData("alertEmail", "${SWUPGRADE_ALERT_EMAIL=}")]
    public void Parameters_MapAzdEnvironmentValues(string parameter, string expected)
    {
        Assert.Equal(expected, (string?)Parameters()[parameter]?["value"]);
    }

    [Fact]
    public void Parameters_NameOnlyTemplateParametersAndCoverEveryRequiredOne()
    {
        var declared = template.Main["parameters"]!.AsObject();
        var given = Parameters();
        Assert.All(given, p => Assert.True(declared.ContainsKey(p.Key), $"main.bicep has no parameter {p.Key}"));
        var required = declared.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key);
        Assert.All(required, name => Assert.True(given.ContainsKey(name), $"main.parameters.json does not set {name}"));
    }

    [Fact]
    public void AzureYaml_DeclaresTheFunctionServiceAndPostdeployHooks()
    {
        var lines = File.ReadAllLines(Path.Combine(template.RepositoryRoot, "azure.yaml"))
            .Select(l => l.Trim())
            .ToList();
        foreach (var expected in new[]
        {
            "SwUpgradeFunc:",
            "project: ./SwUpgradeFunc",
            "language: dotnet",
            "host: function",
            "postdeploy:",
            "run: ./tools/hooks/postdeploy.sh",
            "run: ./tools/hooks/postdeploy.ps1",
            "shell: sh",
            "shell: pwsh",
        })
        {
            Assert.Contains(expected, lines);
        }
    }

    private JsonObject Parameters() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(template.RepositoryRoot, "infra", "main.parameters.json")))!["parameters"]!.AsObject();
}
