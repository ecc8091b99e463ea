using Azure.Data.Tables;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>Which of a task's sub-tasks a list shows: every one (no name), one phase, <c>active</c> or <c>stalled</c>.</summary>
public readonly record struct SubTaskFilter
{
    public const string Active = "active";
    public const string Stalled = "stalled";

    private SubTaskFilter(string? name) => Name = name;

    public static SubTaskFilter All { get; } = new(null);

    /// <summary>The values the <c>phase</c> parameter accepts.</summary>
    public static IReadOnlyList<string> Values { get; } = [.. UpgradePhases.Names, Active, Stalled];

    /// <summary>Null for every sub-task.</summary>
    public string? Name { get; }

    /// <summary>When set, only failed sub-tasks whose result carried this error code.</summary>
    public string? ErrorCode { get; private init; }

    /// <summary>
    /// The failed sub-tasks with this error code. An error code comes with a failed result, so it narrows the failed phase;
    /// null when the filter names another phase (the caller says which parameters clash).
    /// </summary>
    public SubTaskFilter? WithErrorCode(string errorCode) =>
        Name is null || Name == FailedPhase ? new SubTaskFilter(FailedPhase) { ErrorCode = errorCode } : null;

    /// <summary>What a continuation token binds to: the phase and, when set, the error code.</summary>
    internal string? ScopeKey => ErrorCode is null ? Name : $"{Name}\nerrorCode={ErrorCode}";

    /// <summary>The condition on an index row's columns beyond its key range, or null.</summary>
    internal string? ColumnCondition => ErrorCode is null ? null : TableClient.CreateQueryFilter($"ErrorCode eq {ErrorCode}");

    public static bool TryParse(string? value, out SubTaskFilter filter)
    {
        filter = All;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (!Values.Contains(value, StringComparer.Ordinal))
        {
            return false;
        }

        filter = new SubTaskFilter(value);
        return true;
    }

    /// <summary>
    /// The row key ranges of the filter's index rows in each bucket partition: one for every sub-task or one phase, one per
    /// unsettled phase for <c>active</c> and <c>stalled</c>.
    /// </summary>
    internal IReadOnlyList<(string Start, string Stop)> Ranges(long cutoffTicks) => Name switch
    {
        null => [(StorageKeys.PhaseIndexPrefix, StorageKeys.PhaseIndexEnd)],
        Active => [.. UnsettledPhases.Select(p => (StorageKeys.PhaseIndexStart(p), StorageKeys.PhaseIndexStop(p)))],
        Stalled => [.. UnsettledPhases.Select(p => (StorageKeys.PhaseIndexStart(p), StorageKeys.StalledStop(p, cutoffTicks)))],
        _ => [(StorageKeys.PhaseIndexStart(Name), StorageKeys.PhaseIndexStop(Name))],
    };

    /// <summary>The number of ranges <see cref="Ranges"/> gives, which bounds a continuation token's segment.</summary>
    internal int RangeCount => Ranges(0).Count;

    private static string FailedPhase { get; } = UpgradePhase.Failed.Name();

    private static IReadOnlyList<string> UnsettledPhases { get; } =
        [.. UpgradePhases.Names.Where(n => UpgradePhases.Parse(n)?.IsSettled() != true)];
}
