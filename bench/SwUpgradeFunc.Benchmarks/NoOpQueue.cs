using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>A queue that stores nothing, so that only the receiver's own CPU work is measured.</summary>
internal sealed class NoOpQueue : INotificationQueue
{
    public Task EnqueueAsync(BinaryData message, CancellationToken cancellationToken) => Task.CompletedTask;
}
