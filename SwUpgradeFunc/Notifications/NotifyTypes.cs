namespace SwUpgradeFunc.Notifications;

/// <summary>The notifyType values of the platform's push contract.</summary>
public static class NotifyTypes
{
    public const string SwUpgradeStateChange = "swUpgradeStateChangeNotify";
    public const string SwUpgradeResult = "swUpgradeResultNotify";
    public const string FwUpgradeStateChange = "fwUpgradeStateChangeNotify";
    public const string FwUpgradeResult = "fwUpgradeResultNotify";

    /// <summary>
    /// Not a push: the queue message kind that applies the platform's final status of a sub-task whose result push
    /// never arrived. Only the reconciliation path writes it; the receiver never accepts it.
    /// </summary>
    public const string Reconciliation = "reconciliation";

    /// <summary>The four upgrade notifications this receiver validates and enqueues.</summary>
    public static IReadOnlyList<string> Upgrade { get; } =
        [SwUpgradeStateChange, SwUpgradeResult, FwUpgradeStateChange, FwUpgradeResult];

    /// <summary>Service-data types the platform may push to the same host; they are acknowledged, never enqueued.</summary>
    public static IReadOnlyList<string> OtherPlatformTypes { get; } =
    [
        "deviceAdded", "bindDevice", "deviceInfoChanged", "deviceDataChanged", "deviceDatasChanged",
        "deviceCapabilitiesChanged", "deviceCapabilitiesAdded", "deviceCapabilitiesDeleted", "deviceDeleted",
        "messageConfirm", "commandRsp", "ruleEvent", "deviceDesiredPropertiesModifyStatusChanged",
        "deviceEvent", "serviceInfoChanged", "deviceModelAdded", "deviceModelDeleted",
    ];

    public static bool IsUpgrade(string notifyType) => Upgrade.Contains(notifyType, StringComparer.Ordinal);

    public static bool IsOtherPlatformType(string notifyType) => OtherPlatformTypes.Contains(notifyType, StringComparer.Ordinal);

    /// <summary>
    /// A bounded label for metrics and logs: notifyType comes from an unauthenticated caller, so only values of the
    /// contract are echoed and anything else is folded into one label.
    /// </summary>
    public static string MetricLabel(string? notifyType) =>
        notifyType is not null && (IsUpgrade(notifyType) || IsOtherPlatformType(notifyType) || notifyType == Reconciliation)
            ? notifyType
            : "unknown";
}
