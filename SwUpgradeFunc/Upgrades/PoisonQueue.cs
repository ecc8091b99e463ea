using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Upgrades;

/// <summary>Where a message that can never be processed goes at once, in the same place and encoding the runtime uses.</summary>
public interface IPoisonQueue
{
    Task SendAsync(string message, CancellationToken cancellationToken);
}

public sealed class StoragePoisonQueue(QueueServiceClient service, IOptions<NotificationQueueOptions> options) : IPoisonQueue
{
    private readonly QueueClient _queue = service.GetQueueClient(options.Value.PoisonQueueName);

    public async Task SendAsync(string message, CancellationToken cancellationToken)
    {
        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _queue.SendMessageAsync(BinaryData.FromString(message), cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
