using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SwUpgradeFunc.Tests.Infra;

/// <summary>
/// Compiles infra/main.bicep with the Bicep CLI restored from NuGet (tools/bicep/bicep.csproj) and exposes the
/// ARM JSON. Throws (so every test using it fails) when the CLI cannot be restored or the build fails.
/// </summary>
public sealed partial class BicepTemplate : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromMinutes(5);

    // Keeps ARM expressions readable (no \u0027 for quotes) when a variable's JSON is expanded into text.
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _outputDirectory;

    public BicepTemplate()
    {
        RepositoryRoot = TestSupport.RepositoryPaths.Root;
        _outputDirectory = Directory.CreateTempSubdirectory("swupgrade-bicep-").FullName;
        var bicep = LocateBicep(RepositoryRoot);
        var armPath = Path.Combine(_outputDirectory, "main.json");
        var (exitCode, output) = Run(
            bicep,
            ["build", Path.Combine(RepositoryRoot, "infra", "main.bicep"), "--outfile", armPath],
            RepositoryRoot);
        if (exitCode != 0 || !File.Exists(armPath))
        {
            throw new InvalidOperationException($"bicep build failed (exit {exitCode}):\n{output}");
        }

        Main = JsonNode.Parse(File.ReadAllText(armPath))?.AsObject()
            ?? throw new InvalidOperationException("bicep build produced an empty template");
    }

    public string RepositoryRoot { get; }

    /// <summary>The compiled subscription-scope template.</summary>
    public JsonObject Main { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_outputDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    /// <summary>The template of the module deployed as <paramref name="deploymentName"/> from main.bicep.</summary>
    public JsonObject Module(string deploymentName)
    {
        var deployment = Resources(Main).SingleOrDefault(r =>
            (string?)r["type"] == "Microsoft.Resources/deployments" && (string?)r["name"] == deploymentName)
            ?? throw new InvalidOperationException($"main.bicep deploys no module named '{deploymentName}'");
        return deployment["properties"]!["template"]!.AsObject();
    }

    /// <summary>The parameter values main.bicep passes to the module deployed as <paramref name="deploymentName"/>.</summary>
    public JsonObject ModuleParameters(string deploymentName) =>
        Resources(Main).Single(r => (string?)r["name"] == deploymentName)["properties"]!["parameters"]!.AsObject();

    /// <summary>Every resource of the template and of the templates nested in it, with its declaring template.</summary>
    public IEnumerable<(JsonObject Resource, JsonObject Template)> AllResources() => AllResources(Main);

    public IEnumerable<JsonObject> ResourcesOfType(string type) =>
        AllResources().Select(r => r.Resource).Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase));

    public JsonObject SingleResourceOfType(string type)
    {
        var matches = ResourcesOfType(type).ToList();
        Assert.True(matches.Count == 1, $"expected exactly one {type}, found {matches.Count}");
        return matches[0];
    }

    /// <summary>The function app (Microsoft.Web/sites).</summary>
    public JsonObject Site() => SingleResourceOfType("Microsoft.Web/sites");

    /// <summary>The function app's app settings as the template writes them (ARM expressions where computed).</summary>
    public Dictionary<string, string> AppSettings()
    {
        var config = ResourcesOfType("Microsoft.Web/sites/config")
            .Single(r => ((string)r["name"]!).Contains("'appsettings'", StringComparison.Ordinal));
        return config["properties"]!.AsObject().ToDictionary(p => p.Key, p => (string?)p.Value ?? "");
    }

    /// <summary>The Values of local.settings.sample.json.</summary>
    public Dictionary<string, string> SampleSettings()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "local.settings.sample.json")))!;
        return sample["Values"]!.AsObject().ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "");
    }

    public static IEnumerable<JsonObject> Resources(JsonObject template) =>
        template["resources"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject symbolic => symbolic.Select(p => p.Value).OfType<JsonObject>(),
            _ => [],
        };

    /// <summary>
    /// The text of <paramref name="value"/> with every variables('x') reference of <paramref name="template"/>
    /// expanded (recursively), so literal values such as role definition ids held in variables become visible.
    /// </summary>
    public static string ExpandVariables(string value, JsonObject template, int depth = 0)
    {
        if (depth > 10 || template["variables"] is not JsonObject variables)
        {
            return value;
        }

        return VariableReference().Replace(value, m =>
            variables[m.Groups["name"].Value] is { } node
                ? ExpandVariables(node.ToJsonString(RelaxedJson), template, depth + 1)
                : m.Value);
    }

    private static IEnumerable<(JsonObject Resource, JsonObject Template)> AllResources(JsonObject template)
    {
        foreach (var resource in Resources(template))
        {
            yield return (resource, template);
            if ((string?)resource["type"] == "Microsoft.Resources/deployments"
                && resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in AllResources(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static string LocateBicep(string root)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("BICEP_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new InvalidOperationException($"BICEP_PATH points to a missing file: {fromEnvironment}");
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException(
                "tools/bicep restores the linux-x64 Bicep CLI; on other systems set BICEP_PATH to a Bicep CLI.");
        }

        var project = Path.Combine(root, "tools", "bicep", "bicep.csproj");
        var version = XDocument.Load(project).Descendants("BicepVersion").SingleOrDefault()?.Value
            ?? throw new InvalidOperationException($"{project} declares no BicepVersion");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var bicep = Path.Combine(packages, "azure.bicep.commandline.linux-x64", version, "tools", "bicep");

        if (!File.Exists(bicep))
        {
            var (exitCode, output) = Run("dotnet", ["restore", project, "--nologo"], root);
            if (exitCode != 0 || !File.Exists(bicep))
            {
                throw new InvalidOperationException(
                    $"could not restore the Bicep CLI {version} to {bicep} (dotnet restore exit {exitCode}):\n{output}");
            }
        }

        var mode = File.GetUnixFileMode(bicep);
        if (!mode.HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(bicep, mode | UnixFileMode.UserExecute);
        }

        return bicep;
    }

    private static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(ProcessTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish within {ProcessTimeout}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [GeneratedRegex(@"variables\('(?<name>[^']+)'\)")]
    private static partial Regex VariableReference();
}
