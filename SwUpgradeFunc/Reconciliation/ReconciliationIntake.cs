using System.Text.Json;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>One sub-task's final status on the platform, to be applied here.</summary>
public sealed record PlatformFinalStatus(string SubOperationId, string DeviceId, string Status, DateTimeOffset? StopTime);

/// <summary>A request to apply the platform's final statuses to sub-tasks of one upgrade task.</summary>
public sealed record ReconciliationRequest(string AppId, string? Kind, IReadOnlyList<PlatformFinalStatus> SubTasks);

/// <summary>
/// Puts reconciliations on the notifications queue, one message per sub-task, so that the processor applies them with the
/// same rules as pushes (duplicates, ordering, concurrency). Used by the reconciliation route and by the timer.
/// </summary>
public sealed class ReconciliationIntake(INotificationQueue queue, TimeProvider time)
{
    public const int MaxSubTasksPerRequest = 1000;
    public const int MaxIdLength = 256;

    /// <summary>Enqueues one message per sub-task; returns when all are stored. Safe to repeat: applying one twice changes nothing.</summary>
    public async Task<int> EnqueueAsync(string operationId, ReconciliationRequest request, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        await Parallel.ForEachAsync(request.SubTasks, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (sub, ct) =>
            {
                var envelope = NotificationEnvelope.CreateReconciliation(request.AppId, operationId, sub.SubOperationId, sub.DeviceId,
                    new ReconciliationDetail { PlatformStatus = sub.Status.ToLowerInvariant(), PlatformTime = sub.StopTime, Kind = request.Kind, Source = source },
                    now);
                await queue.EnqueueAsync(envelope.ToBinaryData(), ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return request.SubTasks.Count;
    }

    /// <summary>Reads the route's JSON body; every problem names its field.</summary>
    public static ReconciliationRequest? Parse(ReadOnlySpan<byte> body, List<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        JsonDocument? document = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
            // ParseValue stops after the first value; text after it must be refused, not ignored.
            if (reader.Read())
            {
                throw new JsonException("Text after the JSON value.");
            }
        }
        catch (JsonException)
        {
            document?.Dispose();
            errors.Add(new FieldError("body", "is not valid JSON"));
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new FieldError("body", "must be a JSON object"));
                return null;
            }

            var appId = Text(root, "appId", "appId", errors, required: true);
            var kind = Text(root, "kind", "kind", errors, required: false);
            if (kind is not null && !UpgradeKinds.IsStated(kind))
            {
                errors.Add(new FieldError("kind", "must be software or firmware"));
            }

            if (!root.TryGetProperty("subTasks", out var subTasks) || subTasks.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new FieldError("subTasks", "is required and must be an array"));
                return null;
            }

            var count = subTasks.GetArrayLength();
            if (count is 0 or > MaxSubTasksPerRequest)
            {
                errors.Add(new FieldError("subTasks", $"must hold 1 to {MaxSubTasksPerRequest} sub-tasks"));
                return null;
            }

            var list = new List<PlatformFinalStatus>(count);
            var i = 0;
            foreach (var item in subTasks.EnumerateArray())
            {
                var at = $"subTasks[{i++}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(new FieldError(at, "must be an object"));
                    continue;
                }

                var subOperationId = Text(item, "subOperationId", at + ".subOperationId", errors, required: true);
                var deviceId = Text(item, "deviceId", at + ".deviceId", errors, required: true);
                var status = Text(item, "status", at + ".status", errors, required: true);
                if (status is not null && !SubOperationStatuses.IsResult(status))
                {
                    errors.Add(new FieldError(at + ".status", "must be success or fail (only a final status can be applied)"));
                }

                var stopText = Text(item, "stopTime", at + ".stopTime", errors, required: false);
                var stopTime = PlatformTime.Parse(stopText);
                if (stopText is not null && stopTime is null)
                {
                    errors.Add(new FieldError(at + ".stopTime", "must be the platform's UTC time, yyyyMMddTHHmmssZ (e.g. 20261126T101500Z)"));
                }

                if (subOperationId is not null && deviceId is not null && status is not null)
                {
                    list.Add(new PlatformFinalStatus(subOperationId, deviceId, status, stopTime));
                }
            }

            return errors.Count == 0 ? new ReconciliationRequest(appId!, kind, list) : null;
        }
    }

    private static string? Text(JsonElement parent, string name, string field, List<FieldError> errors, bool required)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors.Add(new FieldError(field, "is required"));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new FieldError(field, "must be a non-empty string"));
            return null;
        }

        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The document checks the JSON's structure, not the UTF-8 inside its strings: that surfaces on reading one.
            errors.Add(new FieldError(field, "is not valid UTF-8"));
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add(new FieldError(field, "must be a non-empty string"));
            return null;
        }

        if (text.Length > MaxIdLength)
        {
            errors.Add(new FieldError(field, $"must be at most {MaxIdLength} characters"));
            return null;
        }

        return text;
    }
}
