using System.Reflection;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>Finds files of the repository from the test's output folder.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Configuration { get; } =
        typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SwUpgradeFunc.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SwUpgradeFunc.slnx above {AppContext.BaseDirectory}.");
    }
}
