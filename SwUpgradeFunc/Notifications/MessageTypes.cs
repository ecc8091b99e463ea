using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Notifications;

/// <summary>The notifyType values a queue message carries: the platform's four upgrade types, and reconciliation's own.</summary>
public static class MessageTypes
{
    /// <summary>
    /// Not a push: the queue message kind that applies the platform's final status of a sub-task whose result push
    /// never arrived. Only the reconciliation path writes it; the receiver never accepts it.
    /// </summary>
    public const string Reconciliation = "reconciliation";

    /// <summary>
    /// A bounded label for metrics and logs: notifyType comes from an unauthenticated caller, so only values of the
    /// contract are echoed and anything else is folded into one label.
    /// </summary>
    public static string MetricLabel(string? notifyType) =>
        notifyType is not null && (NotifyTypes.IsKnown(notifyType) || notifyType == Reconciliation) ? notifyType : Unknown;

    /// <summary>The label of a notifyType outside the contract.</summary>
    public const string Unknown = "unknown";
}
