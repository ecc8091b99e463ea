namespace SwUpgradeFunc.Benchmarks;

/// <summary>Bounds the set-up and tear-down calls (create, delete, count), so that a stalled Azurite fails a run instead of hanging it.</summary>
internal static class Admin
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static CancellationToken Token() => new CancellationTokenSource(Timeout).Token;
}
