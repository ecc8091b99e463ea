using System.ComponentModel.DataAnnotations;

namespace SwUpgradeFunc.Receiving;

/// <summary>Settings of the callback receiver (section <c>Receiver</c>).</summary>
public sealed class ReceiverOptions
{
    public const string Section = "Receiver";

    /// <summary>
    /// Comma-separated platform appIds whose pushes are accepted, compared exactly (case-sensitive: appIds are opaque
    /// identifiers the platform issues); empty accepts every appId (a warning is logged at
    /// start-up). A comma list rather than an array so that one app setting holds it.
    /// </summary>
    public string AllowedAppIds { get; set; } = "";

    /// <summary>Largest accepted body. A queue message holds at most 64 KiB, so more would never fit.</summary>
    [Range(256, 65536)]
    public int MaxBodyBytes { get; set; } = 65536;

    /// <summary>How long the enqueue may take before the push is answered 503; the platform gives up after 15 s.</summary>
    [Range(1, 14)]
    public int EnqueueTimeoutSeconds { get; set; } = 5;

    /// <summary>The Retry-After sent with a 503.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 10;

    public IReadOnlySet<string> AllowedAppIdSet() =>
        AllowedAppIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);
}
