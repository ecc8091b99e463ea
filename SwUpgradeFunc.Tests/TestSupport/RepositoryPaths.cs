using System.Reflection;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>Finds files of the repository from the test's output folder.</summary>
public static class RepositoryPaths
{
    public static string Root => SwUpgradeFunc.Local.AzuriteLauncher.RepositoryRoot;

    public static string Configuration { get; } =
        typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
