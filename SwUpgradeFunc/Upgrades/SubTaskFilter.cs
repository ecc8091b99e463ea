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

    /// <summary>The row key range of the filter's index rows in each bucket partition.</summary>
    internal (string Start, string Stop) Range(long cutoffTicks) => Name switch
    {
        null => (StorageKeys.PhaseIndexPrefix, StorageKeys.PhaseIndexEnd),
        Active => (StorageKeys.ActiveIndexPrefix, StorageKeys.ActiveIndexEnd),
        Stalled => (StorageKeys.ActiveIndexPrefix, StorageKeys.ActiveIndexStop(cutoffTicks)),
        _ => (StorageKeys.PhaseIndexStart(Name), StorageKeys.PhaseIndexStop(Name)),
    };
}
