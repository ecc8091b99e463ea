using System.Collections.Concurrent;
using Azure.Messaging;
using SwUpgradeFunc.Events;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>Keeps every published settled event; can be told to fail the next publications, as a queue outage would.</summary>
public sealed class RecordingEventPublisher : ISettledEventPublisher
{
    private int _failures;

    public ConcurrentQueue<CloudEvent> Published { get; } = new();

    public void FailNext(int count) => Interlocked.Exchange(ref _failures, count);

    public Task PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            throw new InvalidOperationException("The events queue is unavailable.");
        }

        Published.Enqueue(cloudEvent);
        return Task.CompletedTask;
    }
}
