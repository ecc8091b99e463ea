using System.Collections.Concurrent;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// Pushes as two processors meet them in production: some delivered twice by the queue, some pushed again by the
/// platform, all in a random order, applied by eight workers alternating between two stores (two instances).
/// </summary>
internal static class TwoProcessors
{
    /// <summary>
    /// The envelope; one time in four its queue redelivery; one time in five the platform's re-push of it, received
    /// <paramref name="repushDelay"/> later (whichever of the two is processed first is the recorded one).
    /// </summary>
    public static IEnumerable<NotificationEnvelope> WithRedeliveries(NotificationEnvelope envelope, Random random, Func<Random, TimeSpan> repushDelay)
    {
        yield return envelope;
        if (random.Next(4) == 0)
        {
            yield return envelope;
        }

        if (random.Next(5) == 0)
        {
            yield return NotificationEnvelope.Create(envelope.Notification, envelope.ReceivedAt + repushDelay(random));
        }
    }

    /// <summary>Applies the messages in a random order, eight workers at once, alternating between the two stores.</summary>
    public static async Task ApplyShuffledAsync(UpgradeStateStore first, UpgradeStateStore second, IEnumerable<NotificationEnvelope> messages,
        Random random)
    {
        var stores = new[] { first, second };
        var queue = new ConcurrentQueue<NotificationEnvelope>(messages.OrderBy(_ => random.Next()));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            while (queue.TryDequeue(out var envelope))
            {
                await stores[worker % 2].ApplyAsync(envelope, CancellationToken.None);
            }
        })));
    }
}
