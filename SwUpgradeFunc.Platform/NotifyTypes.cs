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

    /// <summary>Service-data types, subscribed through the service-data API.</summary>
    public static IReadOnlyList<string> ServiceDataTypes { get; } =
    [
        "deviceAdded", "bindDevice", "deviceInfoChanged", "deviceDataChanged", "deviceDatasChanged",
        "deviceCapabilitiesChanged", "deviceCapabilitiesAdded", "deviceCapabilitiesDeleted", "deviceDeleted",
        "messageConfirm", "commandRsp", "ruleEvent", "deviceDesiredPropertiesModifyStatusChanged",
        "deviceEvent", "serviceInfoChanged", "deviceModelAdded", "deviceModelDeleted",
    ];

    public static IReadOnlyList<string> All { get; } = [.. UpgradeTypes, .. ServiceDataTypes];

    public static bool IsManagementData(string notifyType) => UpgradeTypes.Contains(notifyType, StringComparer.Ordinal);

    public static bool IsKnown(string notifyType) => All.Contains(notifyType, StringComparer.Ordinal);
}
