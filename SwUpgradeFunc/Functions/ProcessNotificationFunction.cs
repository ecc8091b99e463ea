using System.Globalization;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Storage;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>The notifications queue's trigger; the host decodes the base64 message (host.json messageEncoding).</summary>
public sealed class ProcessNotificationFunction(NotificationProcessor processor)
{
    [Function("ProcessNotification")]
    public async Task Run(
        [QueueTrigger(NotificationQueueOptions.QueueNameBinding, Connection = StorageConnection.Name)] string message,
        FunctionContext context,
        CancellationToken cancellationToken)
    {
        var data = context.BindingContext.BindingData;
        var id = data.TryGetValue("Id", out var idValue) ? idValue?.ToString() : null;
        var dequeueCount = data.TryGetValue("DequeueCount", out var countValue) &&
                           long.TryParse(countValue?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 1;
        await processor.ProcessAsync(message, id ?? context.InvocationId, dequeueCount, cancellationToken).ConfigureAwait(false);
    }
}
