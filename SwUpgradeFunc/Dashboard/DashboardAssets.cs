using System.Collections.Frozen;
using System.Security.Cryptography;

namespace SwUpgradeFunc.Dashboard;

/// <summary>One file of the operator page, as served.</summary>
public sealed record DashboardAsset(string Name, string ContentType, byte[] Content, string ETag);

/// <summary>
/// The operator page's files, embedded in the assembly so a deployment always carries the page that matches its API.
/// Only the names listed here are served: a request cannot reach any other resource of the assembly.
/// </summary>
public sealed class DashboardAssets
{
    public const string ShellName = "dashboard.html";

    /// <summary>
    /// Everything from the app's own origin, nothing inline, no framing. The page reads data with fetch (connect-src
    /// falls back to default-src) and offers CSV downloads as blob: links, which are navigations CSP does not restrict.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

    private static readonly IReadOnlyDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ShellName] = "text/html; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
    };

    private static readonly Lazy<DashboardAssets> SharedInstance = new(() => new DashboardAssets(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<string, DashboardAsset> _assets;

    private DashboardAssets()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        _assets = ContentTypes.ToFrozenDictionary(pair => pair.Key, pair =>
        {
            using var stream = assembly.GetManifestResourceStream(ResourcePrefix + pair.Key)
                ?? throw new InvalidOperationException($"The dashboard file {pair.Key} is not embedded in {assembly.GetName().Name}.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            return new DashboardAsset(pair.Key, pair.Value, content, etag);
        }, StringComparer.Ordinal);
    }

    /// <summary>The resource name prefix the project file gives the page's files.</summary>
    public const string ResourcePrefix = "SwUpgradeFunc.Dashboard.";

    public static DashboardAssets Shared => SharedInstance.Value;

    public IEnumerable<DashboardAsset> All => _assets.Values;

    /// <summary>The asset of that exact name, or null when the name is not on the list.</summary>
    public DashboardAsset? Find(string name) => _assets.GetValueOrDefault(name);
}
