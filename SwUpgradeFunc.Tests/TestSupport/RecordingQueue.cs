using System.Collections.Concurrent;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>A queue double that records what was enqueued, or fails, or hangs until cancelled.</summary>
public sealed class RecordingQueue : INotificationQueue
{
    public ConcurrentQueue<BinaryData> Messages { get; } = new();

    public Exception? FailWith { get; set; }

    public bool HangUntilCancelled { get; set; }

    public async Task EnqueueAsync(BinaryData message, CancellationToken cancellationToken)
    {
        if (HangUntilCancelled)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (FailWith is not null)
        {
            throw FailWith;
        }

        Messages.Enqueue(message);
    }
}
