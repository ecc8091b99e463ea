using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Messaging;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Storage;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Events;

/// <summary>Settled events (section <c>Events</c>).</summary>
public sealed class EventsOptions
{
    public const string Section = "Events";

    /// <summary>The storage queue that receives a CloudEvent per settled sub-task; empty disables the events.</summary>
    [RegularExpression("^$|^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$",
        ErrorMessage = "Events:QueueName must be empty or a valid storage queue name (3-63 lowercase letters, digits, single dashes).")]
    public string QueueName { get; set; } = "swupgrade-events";
}

/// <summary>The data of a SwUpgradeFunc.SubTask.Settled event.</summary>
public sealed record SubTaskSettled(
    string OperationId,
    string SubOperationId,
    string DeviceId,
    string Kind,
    string Result,
    string? SourceVersion,
    string? TargetVersion,
    string? CurVersion,
    string? ErrorCode,
    string? ResultDesc,
    DateTimeOffset SettledAt);

public static class SettledEvents
{
    public const string Type = "SwUpgradeFunc.SubTask.Settled";
    public const string Source = "urn:swupgradefunc";

    /// <summary>
    /// The same for every publication of one sub-task's settlement (a sub-task settles once), so that a consumer
    /// drops repeats by id.
    /// </summary>
    public static string Id(string operationId, string subOperationId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{Type}\n{operationId}\n{subOperationId}")).AsSpan(0, 16)).ToString("D");

    public static CloudEvent Create(SubTaskState state)
    {
        var data = new SubTaskSettled(state.OperationId, state.SubOperationId, state.DeviceId, state.Kind, state.Result!,
            state.SourceVersion, state.TargetVersion, state.CurVersion, state.ErrorCode, state.ResultDesc,
            state.SettledAt ?? SettledEntry(state) ?? state.LastUpdate);
        return new CloudEvent(Source, Type, BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(data, EventsJsonContext.Default.SubTaskSettled)),
            "application/json", CloudEventDataFormat.Json)
        {
            Id = Id(state.OperationId, state.SubOperationId),
            Subject = $"{state.OperationId}/{state.SubOperationId}",
            Time = state.SettledAt ?? SettledEntry(state) ?? state.LastUpdate,
        };
    }

    /// <summary>Rows written before SettledAt was kept: the history entry of the settling push.</summary>
    private static DateTimeOffset? SettledEntry(SubTaskState state) =>
        state.History.FirstOrDefault(h => h.Verdict == Verdicts.Settled)?.ReceivedAt;

    public static string Serialize(CloudEvent cloudEvent) => JsonSerializer.Serialize(cloudEvent);
}

/// <summary>Where settled events go.</summary>
public interface ISettledEventPublisher
{
    Task PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken);
}

/// <summary>The events queue, in the app's storage account (messages base64, like the notifications queue).</summary>
public sealed class StorageSettledEventPublisher : ISettledEventPublisher
{
    private readonly QueueClient? _queue;
    private readonly RetryableSetUp? _created;

    public StorageSettledEventPublisher(QueueServiceClient service, IOptions<EventsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrEmpty(options.Value.QueueName))
        {
            var queue = service.GetQueueClient(options.Value.QueueName);
            _queue = queue;
            _created = new RetryableSetUp(() => queue.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None));
        }
    }

    public async Task PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        if (_queue is null || _created is null)
        {
            return;
        }

        await _created.EnsureAsync().ConfigureAwait(false);

        await _queue.SendMessageAsync(BinaryData.FromString(SettledEvents.Serialize(cloudEvent)), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SubTaskSettled))]
internal sealed partial class EventsJsonContext : JsonSerializerContext;
