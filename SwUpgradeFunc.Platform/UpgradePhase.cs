namespace SwUpgradeFunc.Platform;

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
    /// <exception cref="ArgumentOutOfRangeException">A value that is no phase: it must never be counted as one.</exception>
    public static string Name(this UpgradePhase phase) => phase switch
    {
        UpgradePhase.Downloading => "downloading",
        UpgradePhase.Downloaded => "downloaded",
        UpgradePhase.Updating => "updating",
        UpgradePhase.Idle => "idle",
        UpgradePhase.Succeeded => "succeeded",
        UpgradePhase.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, "Not an upgrade phase."),
    };

    public static IReadOnlyList<UpgradePhase> All { get; } = Enum.GetValues<UpgradePhase>();

    /// <summary>The name of a sub-task that so far only received state values outside the contract.</summary>
    public const string None = "none";

    /// <summary>Every phase name a sub-task can be counted under, <see cref="None"/> last.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(p => p.Name()), None];

    public static string NameOrNone(this UpgradePhase? phase) => phase?.Name() ?? None;

    public static UpgradePhase? Parse(string? name) => All.Cast<UpgradePhase?>().FirstOrDefault(p => p!.Value.Name() == name);

    /// <summary>The lifecycle step a state push's value names, or null for a value outside the contract.</summary>
    public static UpgradePhase? StepOf(string notifyType, string? value) => notifyType switch
    {
        NotifyTypes.SwUpgradeStateChange => value switch
        {
            SoftwareUpgradeStates.Downloading => UpgradePhase.Downloading,
            SoftwareUpgradeStates.Downloaded => UpgradePhase.Downloaded,
            SoftwareUpgradeStates.Updating => UpgradePhase.Updating,
            SoftwareUpgradeStates.Idle => UpgradePhase.Idle,
            _ => null,
        },
        NotifyTypes.FwUpgradeStateChange => value?.Trim() switch
        {
            FirmwareUpgradeSteps.Downloading => UpgradePhase.Downloading,
            FirmwareUpgradeSteps.Downloaded => UpgradePhase.Downloaded,
            FirmwareUpgradeSteps.Updating => UpgradePhase.Updating,
            FirmwareUpgradeSteps.Idle => UpgradePhase.Idle,
            _ => null,
        },
        _ => null,
    };

    /// <summary>The phase a result value settles a sub-task in (any casing), or null for a value outside the contract.</summary>
    public static UpgradePhase? SettledBy(string? result) => UpgradeResults.Normalize(result) switch
    {
        UpgradeResults.Success => UpgradePhase.Succeeded,
        UpgradeResults.Fail => UpgradePhase.Failed,
        _ => null,
    };
}
