using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// What the store needs of a push to persist its transition: which sub-task of which task on which device, the task's
/// kind (for a task's first push), when the receiver took it (for the task's activity and timeline), and whether it is
/// a push (a reconciliation is not, and is not counted as one on the timeline).
/// </summary>
public sealed record SubTaskWrite(string OperationId, string SubOperationId, string DeviceId, string Kind, DateTimeOffset ReceivedAt,
    bool IsPush = true)
{
    public static SubTaskWrite Of(NotificationEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var n = envelope.Notification;
        return new SubTaskWrite(n.OperationId, n.SubOperationId, n.DeviceId, UpgradeStateMachine.KindOf(envelope), envelope.ReceivedAt,
            !envelope.IsReconciliation);
    }
}
