namespace SwUpgradeFunc.Platform;

/// <summary>The notification types the platform can push, and which API subscribes each of them.</summary>
public static class NotifyTypes
{
    public const string SwUpgradeStateChange = "swUpgradeStateChangeNotify";
    public const string SwUpgradeResult = "swUpgradeResultNotify";
    public const string FwUpgradeStateChange = "fwUpgradeStateChangeNotify";
    public const string FwUpgradeResult = "fwUpgradeResultNotify";

    /// <summary>The four upgrade types, subscribed through the management-data API.</summary>
    public static IReadOnlyList<string> UpgradeTypes { get; } =
        [SwUpgradeStateChange, SwUpgradeResult, FwUpgradeStateChange, FwUpgradeResult];

    /// <summary>Service-data types, subscribed through the service-data API; a receiver of upgrades acknowledges and drops them.</summary>
    public static IReadOnlyList<string> ServiceDataTypes { get; } =
    [
        "deviceAdded", "bindDevice", "deviceInfoChanged", "deviceDataChanged", "deviceDatasChanged",
        "deviceCapabilitiesChanged", "deviceCapabilitiesAdded", "deviceCapabilitiesDeleted", "deviceDeleted",
        "messageConfirm", "commandRsp", "ruleEvent", "deviceDesiredPropertiesModifyStatusChanged",
        "deviceEvent", "serviceInfoChanged", "deviceModelAdded", "deviceModelDeleted",
    ];

    public static IReadOnlyList<string> All { get; } = [.. UpgradeTypes, .. ServiceDataTypes];

    /// <summary>One of the four upgrade types (matched exactly, as the platform spells them).</summary>
    public static bool IsUpgrade(string? notifyType) => notifyType is SwUpgradeStateChange or SwUpgradeResult or FwUpgradeStateChange or FwUpgradeResult;

    public static bool IsServiceData(string? notifyType) => notifyType is not null && ServiceDataTypes.Contains(notifyType, StringComparer.Ordinal);

    public static bool IsKnown(string? notifyType) => IsUpgrade(notifyType) || IsServiceData(notifyType);

    /// <summary>A result push (software or firmware); the other two upgrade types report a state.</summary>
    public static bool IsResult(string? notifyType) => notifyType is SwUpgradeResult or FwUpgradeResult;

    public static bool IsFirmware(string? notifyType) => notifyType is FwUpgradeStateChange or FwUpgradeResult;
}

/// <summary>The <c>swUpgradeState</c> values of a software upgrade's state push, in the lifecycle's order.</summary>
public static class SoftwareUpgradeStates
{
    public const string Downloading = "downloading";
    public const string Downloaded = "downloaded";
    public const string Updating = "updating";
    public const string Idle = "idle";

    public static IReadOnlyList<string> All { get; } = [Downloading, Downloaded, Updating, Idle];
}

/// <summary>The <c>step</c> values of a firmware upgrade's state push, in the lifecycle's order (idle is "0").</summary>
public static class FirmwareUpgradeSteps
{
    public const string Downloading = "1";
    public const string Downloaded = "2";
    public const string Updating = "3";
    public const string Idle = "0";

    public static IReadOnlyList<string> All { get; } = [Downloading, Downloaded, Updating, Idle];
}

/// <summary>
/// The result values of result pushes (<c>swUpgradeResult</c>, <c>status</c>) as the contract spells them; a receiver
/// compares them case-insensitively, as the platform's casing is not guaranteed.
/// </summary>
public static class UpgradeResults
{
    public const string Success = "SUCCESS";
    public const string Fail = "FAIL";

    public static IReadOnlyList<string> All { get; } = [Success, Fail];

    /// <summary>The contract's spelling of a result value, or null for a value outside the contract.</summary>
    public static string? Normalize(string? value) =>
        string.Equals(value, Success, StringComparison.OrdinalIgnoreCase) ? Success
        : string.Equals(value, Fail, StringComparison.OrdinalIgnoreCase) ? Fail
        : null;
}

/// <summary>What an upgrade task upgrades, decided here only.</summary>
public static class UpgradeKinds
{
    public const string Software = "software";
    public const string Firmware = "firmware";

    /// <summary>A task first met through reconciliation whose platform task did not say.</summary>
    public const string Unknown = "unknown";

    /// <summary>The kind a push is about, by its type.</summary>
    public static string OfNotifyType(string notifyType) => NotifyTypes.IsFirmware(notifyType) ? Firmware : Software;

    /// <summary>The kind of a platform task by its <c>operateType</c> (firmware_upgrade, software_upgrade); null when it did not say.</summary>
    public static string? OfOperateType(string? operateType) =>
        operateType?.StartsWith(Firmware, StringComparison.OrdinalIgnoreCase) == true ? Firmware
        : operateType?.StartsWith(Software, StringComparison.OrdinalIgnoreCase) == true ? Software
        : null;

    /// <summary>A kind a caller may state (reconciliation's request): software or firmware.</summary>
    public static bool IsStated(string? kind) => kind is Software or Firmware;
}
