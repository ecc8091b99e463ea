using SwUpgradeFunc.Local;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// The tests' Azurite: one in-memory process (tools/local/AzuriteLauncher.cs) serves the whole test run; tests isolate
/// themselves with their own queue and table names. When Azurite cannot be started the tests that need it fail with
/// the reason: they never skip.
/// </summary>
public static class AzuriteServer
{
    private static readonly Lazy<AzuriteLauncher> SharedInstance = new(StartShared, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string ConnectionString => SharedInstance.Value.ConnectionString;

    /// <summary>A connection string whose endpoints point at a closed port on loopback: storage that is down.</summary>
    public static string UnreachableConnectionString()
    {
        var port = AzuriteLauncher.FreePort();
        return AzuriteLauncher.ConnectionStringFor(port, port, port);
    }

    public static string NewName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 20, 63)];

    private static AzuriteLauncher StartShared()
    {
        var azurite = AzuriteLauncher.Start();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => azurite.Dispose();
        return azurite;
    }
}
