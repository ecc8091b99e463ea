using Azure;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace SwUpgradeFunc.Receiving;

/// <summary>The notifications queue on Azure Storage; the client encodes messages as base64, as host.json's trigger expects.</summary>
public sealed class StorageNotificationQueue(QueueServiceClient service, IOptions<NotificationQueueOptions> options)
    : INotificationQueue
{
    private readonly QueueClient _queue = service.GetQueueClient(options.Value.QueueName);

    public async Task EnqueueAsync(BinaryData message, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.SendMessageAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == "QueueNotFound")
        {
            // The template creates the queue in Azure; a fresh local Azurite has none yet.
            await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await _queue.SendMessageAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
