using System.Text.Json.Nodes;

namespace SwUpgradeFunc.Tests.Infra;

/// <summary>The compiled template's settings for the callback's client certificate check.</summary>
public sealed class ClientCertificateInfraTests(BicepTemplate template) : IClassFixture<BicepTemplate>
{
    private JsonNode SiteProperties() => template.Site()["properties"]!;

    private JsonNode MainParameter(string name) => template.Main["parameters"]![name]!;

    [Fact]
    public void Check_IsOffByDefault_AndCanBeRequired()
    {
        var mode = MainParameter("clientCertificateMode");

        Assert.Equal("off", (string?)mode["defaultValue"]);
        Assert.Equal(["off", "required"], mode["allowedValues"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("[parameters('clientCertificateMode')]", (string?)template.ModuleParameters("function")["clientCertificateMode"]!["value"]);
        Assert.Equal("[parameters('clientCertificateMode')]", template.AppSettings()["Receiver__ClientCertificate__Mode"]);
    }

    [Fact]
    public void Site_AsksForClientCertificates_OnlyWhenTheCheckIsRequired_WithoutEverRefusingAtTheFrontEnd()
    {
        var function = template.Module("function");
        Assert.Equal("[equals(parameters('clientCertificateMode'), 'required')]", (string?)function["variables"]!["requireClientCertificate"]);
        Assert.Equal("[variables('requireClientCertificate')]", (string?)SiteProperties()["clientCertEnabled"]);
        Assert.Equal("[parameters('clientCertMode')]", (string?)SiteProperties()["clientCertMode"]);

        // The front end may ask, never refuse: a push without a certificate gets the app's 403 problem answer.
        var frontEndMode = MainParameter("clientCertMode");
        Assert.Equal("Optional", (string?)frontEndMode["defaultValue"]);
        Assert.Equal(["Optional", "OptionalInteractiveUser"], frontEndMode["allowedValues"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public void Site_ExcludesTheStatusApiAndThePage_FromTheCertificateRequest()
    {
        Assert.Equal("/api;/dashboard", (string?)MainParameter("clientCertExclusionPaths")["defaultValue"]);
        Assert.Equal("[if(variables('requireClientCertificate'), parameters('clientCertExclusionPaths'), null())]",
            (string?)SiteProperties()["clientCertExclusionPaths"]);
    }

    [Fact]
    public void CaBundle_IsAKeyVaultSecret_ReadThroughAKeyVaultReference()
    {
        Assert.Equal("securestring", (string?)MainParameter("clientCertificateCa")["type"]);
        var secret = template.ResourcesOfType("Microsoft.KeyVault/vaults/secrets")
            .Single(r => ((string)r["name"]!).Contains("clientCertificateCaName", StringComparison.Ordinal));
        Assert.Equal("[not(empty(parameters('clientCertificateCa')))]", (string?)secret["condition"]);
        Assert.Equal("[parameters('clientCertificateCa')]", (string?)secret["properties"]!["value"]);

        Assert.Equal("[if(parameters('hasClientCertificateCa'), format('@Microsoft.KeyVault(SecretUri={0})', parameters('clientCertificateCaUri')), '')]",
            template.AppSettings()["Receiver__ClientCertificate__CaCertificates"]);
        var passed = template.ModuleParameters("function");
        Assert.Equal("[not(empty(parameters('clientCertificateCa')))]", (string?)passed["hasClientCertificateCa"]!["value"]);
        Assert.Contains("clientCertificateCaUri", (string?)passed["clientCertificateCaUri"]!["value"], StringComparison.Ordinal);
    }

    [Fact]
    public void PinsAndSubject_AreAppSettings_FromTheirParameters()
    {
        var settings = template.AppSettings();

        Assert.Equal("[parameters('clientCertificateThumbprints')]", settings["Receiver__ClientCertificate__Thumbprints"]);
        Assert.Equal("[parameters('clientCertificateSubject')]", settings["Receiver__ClientCertificate__ExpectedSubject"]);
    }
}
