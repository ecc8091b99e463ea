using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Storage;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// The notifications queue's trigger. The host's queue client decodes the base64 message (host.json messageEncoding)
/// before handing the message over, so <see cref="QueueMessage.MessageText"/> is the envelope's JSON; binding the
/// message itself gives its id and dequeue count typed, not as trigger metadata strings.
/// </summary>
public sealed class ProcessNotificationFunction(NotificationProcessor processor)
{
    [Function("ProcessNotification")]
    public async Task Run(
        [QueueTrigger(NotificationQueueOptions.QueueNameBinding, Connection = StorageConnection.Name)] QueueMessage message,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await processor.ProcessAsync(message.MessageText, message.MessageId, message.DequeueCount, cancellationToken).ConfigureAwait(false);
    }
}
