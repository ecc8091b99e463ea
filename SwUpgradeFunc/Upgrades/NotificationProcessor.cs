using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Events;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Upgrades;

public enum ProcessOutcome
{
    /// <summary>Recorded in the state store (including stale and unknown values, which are recorded too).</summary>
    Recorded,

    /// <summary>Already recorded: only the duplicate count changed.</summary>
    Duplicate,

    /// <summary>Can never be processed: moved to the poison queue at once, with the reason logged.</summary>
    Poisoned,
}

/// <summary>
/// Turns one queued envelope into sub-task state. A message that can never succeed goes to the poison queue at once;
/// a transient failure throws so that the runtime retries it (and, after host.json's maxDequeueCount, poisons it).
/// </summary>
public sealed partial class NotificationProcessor(
    UpgradeStateStore store,
    IPoisonQueue poison,
    ISettledEventPublisher events,
    IOptions<NotificationQueueOptions> queueOptions,
    IOptions<UpgradesOptions> upgradesOptions,
    SwUpgradeMetrics metrics,
    ILogger<NotificationProcessor> logger)
{
    private readonly int _historyLimit = upgradesOptions.Value.HistoryLimit;

    public async Task<ProcessOutcome> ProcessAsync(string message, string messageId, long dequeueCount,
        CancellationToken cancellationToken)
    {
        if (!NotificationEnvelope.TryParse(message, out var envelope, out var reason))
        {
            return await PoisonAsync(message, messageId, "unknown", reason!, cancellationToken).ConfigureAwait(false);
        }

        var n = envelope!.Notification;
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["notifyType"] = n.NotifyType,
            ["appId"] = n.AppId,
            ["operationId"] = n.OperationId,
            ["deviceId"] = n.DeviceId,
            ["envelopeId"] = envelope.Id,
        });

        Transition transition;
        try
        {
            // The state machine decides from the stored state, the store commits; after a conflict, it decides again.
            transition = await store.ApplyAsync(SubTaskWrite.Of(envelope),
                current => UpgradeStateMachine.Apply(current, envelope, _historyLimit), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 400 or 413)
        {
            // The store refuses this entity as such (a key or property it cannot hold): retrying cannot help.
            return await PoisonAsync(message, messageId, n.NotifyType, $"the state store refused it ({ex.Status} {ex.ErrorCode})",
                cancellationToken).ConfigureAwait(false);
        }
        catch (TaskDeletedException)
        {
            // Late or retried pushes of a deleted task must not bring back part of it (docs/store.md, "Deleting a task").
            return await PoisonAsync(message, messageId, n.NotifyType, "task deleted", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogTransientFailure(messageId, dequeueCount, queueOptions.Value.PoisonQueueName, ex);
            metrics.NotificationProcessed("retry", n.NotifyType);
            throw;
        }

        if (transition.Verdict == Verdicts.Settled)
        {
            metrics.SubTaskSettled(transition.State.Result!);
        }

        if (transition.SettledEventDue)
        {
            // After the commit; a failure throws so the message comes back, and its duplicate publishes again (same id).
            try
            {
                await events.PublishAsync(SettledEvents.Create(transition.State), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogTransientFailure(messageId, dequeueCount, queueOptions.Value.PoisonQueueName, ex);
                metrics.NotificationProcessed("retry", n.NotifyType);
                throw;
            }
        }

        var outcome = transition.IsDuplicate ? ProcessOutcome.Duplicate : ProcessOutcome.Recorded;
        metrics.NotificationProcessed(transition.Verdict, n.NotifyType);
        LogProcessed(n.NotifyType, n.OperationId, n.SubOperationId, n.DeviceId, transition.Verdict, transition.To);
        return outcome;
    }

    private async Task<ProcessOutcome> PoisonAsync(string message, string messageId, string notifyType, string reason,
        CancellationToken cancellationToken)
    {
        await poison.SendAsync(message, cancellationToken).ConfigureAwait(false);
        LogPoisoned(messageId, queueOptions.Value.PoisonQueueName, reason);
        metrics.NotificationProcessed("poisoned", MessageTypes.MetricLabel(notifyType));
        return ProcessOutcome.Poisoned;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information,
        Message = "{NotifyType} for operation {OperationId}, sub-task {SubOperationId}, device {DeviceId}: {Verdict}, phase {Phase}")]
    private partial void LogProcessed(string notifyType, string operationId, string subOperationId, string deviceId,
        string verdict, UpgradePhase? phase);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error,
        Message = "Message {MessageId} moved to {PoisonQueue} without retrying: {Reason}")]
    private partial void LogPoisoned(string messageId, string poisonQueue, string reason);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning,
        Message = "Message {MessageId} failed on attempt {DequeueCount}; the runtime retries it and moves it to {PoisonQueue} after host.json's maxDequeueCount")]
    private partial void LogTransientFailure(string messageId, long dequeueCount, string poisonQueue, Exception exception);
}
