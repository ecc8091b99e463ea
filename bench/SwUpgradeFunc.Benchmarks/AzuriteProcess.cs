using System.Text.Json;
using SwUpgradeFunc.Local;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The benchmarks' Azurite (tools/local/AzuriteLauncher.cs): started and stopped by each suite so that the baseline
/// and the measured path share it, in memory unless <c>onDisk</c>, with its version for the report.
/// </summary>
internal sealed class AzuriteProcess : IDisposable
{
    private readonly AzuriteLauncher _azurite;

    private AzuriteProcess(AzuriteLauncher azurite, string version)
    {
        _azurite = azurite;
        Version = version;
    }

    public string Version { get; }

    public string Description => $"Azurite {Version}, {(_azurite.OnDisk ? "on disk" : "in memory")}";

    public string ConnectionString => _azurite.ConnectionString;

    public static AzuriteProcess Start(bool onDisk) => new(AzuriteLauncher.Start(onDisk), ReadVersion());

    public void Dispose() => _azurite.Dispose();

    internal static string RepositoryRoot() => AzuriteLauncher.RepositoryRoot;

    private static string ReadVersion()
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AzuriteLauncher.NodeModules, "azurite", "package.json")));
            return json.RootElement.GetProperty("version").GetString() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
