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

    private static IReadOnlyList<string> UnsettledPhases { get; } =
        [.. UpgradePhases.Names.Where(n => UpgradePhases.Parse(n)?.IsSettled() != true)];
}
