using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// What the store needs of a push to persist its transition: which sub-task of which task on which device, the task's
/// kind (for a task's first push) and when the receiver took it (for the task's activity).
/// </summary>
public sealed record SubTaskWrite(string OperationId, string SubOperationId, string DeviceId, string Kind, DateTimeOffset ReceivedAt)
{
    public static SubTaskWrite Of(NotificationEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var n = envelope.Notification;
        return new SubTaskWrite(n.OperationId, n.SubOperationId, n.DeviceId, UpgradeStateMachine.KindOf(envelope), envelope.ReceivedAt);
    }
}
