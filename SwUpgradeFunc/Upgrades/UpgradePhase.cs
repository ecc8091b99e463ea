namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// Where a sub-task stands. The state pushes move it forward through the lifecycle
/// downloading -> downloaded -> updating -> idle; a result push settles it as succeeded or failed.
/// </summary>
public enum UpgradePhase
{
    Downloading = 1,
    Downloaded = 2,
    Updating = 3,

    /// <summary>Back to idle after the upgrade's steps; the platform pushes changes, so idle is never the start.</summary>
    Idle = 4,

    Succeeded = 10,
    Failed = 11,
}

public static class UpgradePhases
{
    public static bool IsSettled(this UpgradePhase phase) => phase is UpgradePhase.Succeeded or UpgradePhase.Failed;

    /// <summary>The JSON and storage name of a phase (camelCase).</summary>
    public static string Name(this UpgradePhase phase) => phase switch
    {
        UpgradePhase.Downloading => "downloading",
        UpgradePhase.Downloaded => "downloaded",
        UpgradePhase.Updating => "updating",
        UpgradePhase.Idle => "idle",
        UpgradePhase.Succeeded => "succeeded",
        _ => "failed",
    };

    public static IReadOnlyList<UpgradePhase> All { get; } = Enum.GetValues<UpgradePhase>();

    public static UpgradePhase? Parse(string? name) => All.Cast<UpgradePhase?>().FirstOrDefault(p => p!.Value.Name() == name);
}
