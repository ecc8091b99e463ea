namespace SwUpgradeFunc.Receiving;

/// <summary>The durable hand-off between the receiver and the processor.</summary>
public interface INotificationQueue
{
    /// <summary>Completes only once the message is stored.</summary>
    Task EnqueueAsync(BinaryData message, CancellationToken cancellationToken);
}
