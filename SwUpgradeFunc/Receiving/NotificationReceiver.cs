using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Observability;

namespace SwUpgradeFunc.Receiving;

/// <summary>
/// Takes one push from the platform: checks the media type and size, parses and validates it, applies the appId
/// allow-list and stores the accepted push on the queue. The result says how to answer; a 200 is only ever
/// decided after the queue confirmed the write.
/// </summary>
public sealed partial class NotificationReceiver
{
    private readonly INotificationQueue _queue;
    private readonly ReceiverOptions _options;
    private readonly IReadOnlySet<string> _allowedAppIds;
    private readonly TimeProvider _time;
    private readonly SwUpgradeMetrics _metrics;
    private readonly ILogger<NotificationReceiver> _logger;

    public NotificationReceiver(
        INotificationQueue queue,
        IOptions<ReceiverOptions> options,
        TimeProvider time,
        SwUpgradeMetrics metrics,
        ILogger<NotificationReceiver> logger)
    {
        _queue = queue;
        _options = options.Value;
        _allowedAppIds = _options.AllowedAppIdSet();
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<ReceiveResult> ReceiveAsync(
        string? contentType, long? contentLength, Stream body, CancellationToken cancellationToken)
    {
        if (!IsJson(contentType, out var mediaProblem))
        {
            return Reject(null, ReceiveResult.Rejected(415, "unsupported-media-type", "Unsupported media type", mediaProblem));
        }

        var max = _options.MaxBodyBytes;
        if (contentLength > max)
        {
            return Reject(null, TooLarge(max));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(max + 1);
        try
        {
            var length = await ReadUpToAsync(body, buffer, max + 1, cancellationToken).ConfigureAwait(false);
            if (length > max)
            {
                return Reject(null, TooLarge(max));
            }

            return await HandleAsync(NotificationParser.Parse(buffer.AsSpan(0, length)), cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<ReceiveResult> HandleAsync(ParsedPush push, CancellationToken cancellationToken)
    {
        switch (push.Kind)
        {
            case PushKind.Malformed:
                return Reject(push, ReceiveResult.Rejected(400, "malformed-json", "Malformed JSON", push.Detail!));
            case PushKind.NotAnObject:
                return Reject(push, ReceiveResult.Rejected(400, "not-an-object", "Not a JSON object", push.Detail!));
            case PushKind.MissingNotifyType:
                return Reject(push, ReceiveResult.Rejected(400, "missing-notify-type", "Missing notifyType", push.Detail!, push.Errors));
            case PushKind.InvalidFields:
                return Reject(push, ReceiveResult.Rejected(400, "invalid-fields", "Invalid notification", push.Detail!, push.Errors));
            case PushKind.OtherType:
                var label = MessageTypes.MetricLabel(push.NotifyType);
                LogIgnored(label);
                _metrics.PushReceived("ignored", label == MessageTypes.Unknown ? "unknown-type" : "not-tracked", label);
                return ReceiveResult.Ignored();
        }

        var notification = push.Notification!;
        using var scope = _logger.BeginScope(new Dictionary<string, object?>
        {
            ["notifyType"] = notification.NotifyType,
            ["appId"] = notification.AppId,
            ["operationId"] = notification.OperationId,
            ["deviceId"] = notification.DeviceId,
        });

        if (_allowedAppIds.Count > 0 && !_allowedAppIds.Contains(notification.AppId))
        {
            return Reject(push, ReceiveResult.Rejected(403, "app-not-allowed", "Application not allowed",
                "This receiver does not accept pushes for the appId in the notification."));
        }

        var envelope = NotificationEnvelope.Create(notification, _time.GetUtcNow());
        var started = _time.GetTimestamp();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(_options.EnqueueTimeoutSeconds), _time);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var retryAfter = TimeSpan.FromSeconds(_options.RetryAfterSeconds);
        try
        {
            await _queue.EnqueueAsync(envelope.ToBinaryData(), budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogStorageFailure("storage-timeout", notification.NotifyType, null);
            _metrics.PushReceived("unavailable", "storage-timeout", notification.NotifyType);
            return ReceiveResult.Unavailable("storage-timeout",
                $"The notification could not be stored within {_options.EnqueueTimeoutSeconds} s; retry later.", retryAfter);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStorageFailure("storage-unavailable", notification.NotifyType, ex);
            _metrics.PushReceived("unavailable", "storage-unavailable", notification.NotifyType);
            return ReceiveResult.Unavailable("storage-unavailable",
                "The notification could not be stored; retry later.", retryAfter);
        }

        _metrics.Enqueued(_time.GetElapsedTime(started));
        _metrics.PushReceived("accepted", "accepted", notification.NotifyType);
        LogAccepted(notification.NotifyType, notification.AppId, notification.OperationId, notification.DeviceId, envelope.Id);
        return ReceiveResult.Accepted(envelope.Id);
    }

    private ReceiveResult Reject(ParsedPush? push, ReceiveResult result)
    {
        var label = MessageTypes.MetricLabel(push?.NotifyType);
        var fields = string.Join(",", result.Errors.Select(e => e.Field));
        LogRejected(result.StatusCode, result.Reason, label, push?.Notification?.AppId, fields);
        _metrics.PushReceived("rejected", result.Reason, label);
        return result;
    }

    private static ReceiveResult TooLarge(int max) =>
        ReceiveResult.Rejected(413, "payload-too-large", "Payload too large",
            $"The body exceeds the limit of {max} bytes.");

    /// <summary>Only application/json in UTF-8 is parsed: parameters and any letter case are fine, another charset is not.</summary>
    internal static bool IsJson(string? contentType, out string problem)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            problem = "The request must have Content-Type application/json.";
            return false;
        }

        if (!string.Equals(media.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            problem = "The request must have Content-Type application/json.";
            return false;
        }

        var charset = media.CharSet?.Trim('"');
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) &&
            !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            problem = "Only the utf-8 charset is accepted for application/json.";
            return false;
        }

        problem = "";
        return true;
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes, so an oversized body is never read in full.</summary>
    private static async Task<int> ReadUpToAsync(Stream body, byte[] buffer, int limit, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < limit)
        {
            var read = await body.ReadAsync(buffer.AsMemory(total, limit - total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Accepted {NotifyType} for appId {AppId}, operation {OperationId}, device {DeviceId} as envelope {EnvelopeId}")]
    private partial void LogAccepted(string notifyType, string appId, string operationId, string deviceId, string envelopeId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Acknowledged a {NotifyType} push without enqueueing it: this app tracks upgrade notifications only")]
    private partial void LogIgnored(string notifyType);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Rejected a push with {StatusCode} {Reason} (notifyType {NotifyType}, appId {AppId}, fields {Fields})")]
    private partial void LogRejected(int statusCode, string reason, string notifyType, string? appId, string fields);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error,
        Message = "Could not store a {NotifyType} push ({Reason}); answered 503 so that the platform retries")]
    private partial void LogStorageFailure(string reason, string notifyType, Exception? exception);
}
