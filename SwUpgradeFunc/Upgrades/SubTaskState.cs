using System.Text.Json.Serialization;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>What the processor made of one push, as kept in the history.</summary>
public static class Verdicts
{
    /// <summary>Moved the phase one step forward (or from nothing to its first step).</summary>
    public static readonly string Advanced = "advanced";

    /// <summary>Moved forward past steps that were never reported (downloading -> updating).</summary>
    public static readonly string AdvancedSkippingSteps = "advanced-skipping-steps";

    /// <summary>A state earlier than the current phase, or any state after the result: kept, phase not moved.</summary>
    public static readonly string Stale = "stale";

    /// <summary>A state value outside the contract (e.g. otacreated): kept, phase not moved.</summary>
    public static readonly string UnknownState = "unknown-state";

    /// <summary>A result settled the sub-task (a result push, or the platform's final status applied by reconciliation).</summary>
    public static readonly string Settled = "settled";

    /// <summary>Reconciliation found the platform's final status contradicting the result recorded here: the platform's stands.</summary>
    public static readonly string SettledReplacingResult = "settled-replacing-result";

    /// <summary>A result push that arrived after reconciliation had settled the sub-task the same way: its details are kept.</summary>
    public static readonly string Confirmed = "confirmed";

    /// <summary>A result that contradicts the one already settled: kept, the first result stands.</summary>
    public static readonly string ConflictingResult = "conflicting-result";

    /// <summary>A result value outside SUCCESS/FAIL: kept, nothing settled.</summary>
    public static readonly string UnknownResult = "unknown-result";
}

/// <summary>
/// One distinct push received for a sub-task, or a reconciliation (notifyType <c>reconciliation</c>, value the platform's
/// status, <see cref="PlatformTime"/> the platform's stop time).
/// </summary>
public sealed record HistoryEntry(
    string EnvelopeId,
    DateTimeOffset ReceivedAt,
    string NotifyType,
    string Value,
    string Verdict,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? PlatformTime = null);

/// <summary>The state of one upgrade sub-task of one device, as stored and as the status API shows it.</summary>
public sealed class SubTaskState
{
    public required string OperationId { get; init; }
    public required string SubOperationId { get; init; }
    public required string DeviceId { get; init; }
    public required string AppId { get; set; }

    /// <summary>software or firmware, from the first push.</summary>
    public required string Kind { get; init; }

    /// <summary>Null while only unknown states have arrived.</summary>
    public UpgradePhase? Phase { get; set; }

    /// <summary>The state value (as pushed) that put the sub-task in its current pre-result phase.</summary>
    public string? LastState { get; set; }

    public string? Result { get; set; }
    public string? CurVersion { get; set; }
    public string? TargetVersion { get; set; }
    public string? SourceVersion { get; set; }
    public string? UpgradeTime { get; set; }

    /// <summary>resultDesc / statusDesc of the result push.</summary>
    public string? ResultDesc { get; set; }
    public string? ErrorCode { get; set; }

    /// <summary>When the receiver took the push that settled the sub-task (null before, and in rows written before it was kept).</summary>
    public DateTimeOffset? SettledAt { get; set; }

    public DateTimeOffset FirstUpdate { get; set; }
    public DateTimeOffset LastUpdate { get; set; }

    /// <summary>Pushes that repeated one already recorded (queue redelivery or platform re-push).</summary>
    public int Duplicates { get; set; }

    public bool SkippedSteps { get; set; }

    /// <summary>History entries cut to keep the history bounded (oldest first).</summary>
    public int HistoryDropped { get; set; }

    public List<HistoryEntry> History { get; init; } = [];

    /// <summary>Signatures of the distinct pushes seen, for duplicate detection that survives history cuts.</summary>
    public List<string> Seen { get; init; } = [];
}
