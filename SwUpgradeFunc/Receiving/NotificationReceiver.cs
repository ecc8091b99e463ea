using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Http;
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
    private readonly ClientCertificateCheck _clientCertificates;

    public NotificationReceiver(
        INotificationQueue queue,
        IOptions<ReceiverOptions> options,
        TimeProvider time,
        SwUpgradeMetrics metrics,
        ILogger<NotificationReceiver> logger,
        ClientCertificateCheck clientCertificates)
    {
        _clientCertificates = clientCertificates;
        _queue = queue;
        _options = options.Value;
        _allowedAppIds = _options.AllowedAppIdSet();
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>A push that presented no client certificate (refused when the certificate check is required).</summary>
    public Task<ReceiveResult> ReceiveAsync(
        string? contentType, long? contentLength, Stream body, CancellationToken cancellationToken) =>
        ReceiveAsync([], contentType, contentLength, body, cancellationToken);

    /// <summary>
    /// A push with the values of its <see cref="ClientCertificateCheck.HeaderName"/> header, which are checked before
    /// anything of the body is read.
    /// </summary>
    public async Task<ReceiveResult> ReceiveAsync(IReadOnlyList<string?> clientCertificate,
        string? contentType, long? contentLength, Stream body, CancellationToken cancellationToken)
    {
        var certificate = _clientCertificates.Check(clientCertificate);
        if (!certificate.Accepted)
        {
            LogCertificateRefused(certificate.Problem!.Code, certificate.Subject, certificate.Thumbprint);
            _metrics.ClientCertificateRefused(certificate.Problem.Code);
            return Reject(null, ReceiveResult.Rejected(certificate.Problem, certificate.Detail!));
        }

        if (!JsonContentType.IsJson(contentType, out var mediaProblem))
        {
            return Reject(null, ReceiveResult.Rejected(ProblemType.UnsupportedMediaType, mediaProblem));
        }

        var max = _options.MaxBodyBytes;
        using var read = await BoundedBody.ReadAsync(body, contentLength, max, cancellationToken).ConfigureAwait(false);
        return read.TooLarge
            ? Reject(null, TooLarge(max))
            : await HandleAsync(NotificationParser.Parse(read.Span), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReceiveResult> HandleAsync(ParsedPush push, CancellationToken cancellationToken)
    {
        switch (push.Kind)
        {
            case PushKind.Malformed:
                return Reject(push, ReceiveResult.Rejected(ProblemType.MalformedJson, push.Detail!));
            case PushKind.NotAnObject:
                return Reject(push, ReceiveResult.Rejected(ProblemType.NotAnObject, push.Detail!));
            case PushKind.MissingNotifyType:
                return Reject(push, ReceiveResult.Rejected(ProblemType.MissingNotifyType, push.Detail!, push.Errors));
            case PushKind.InvalidFields:
                return Reject(push, ReceiveResult.Rejected(ProblemType.InvalidFields, push.Detail!, push.Errors));
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
            return Reject(push, ReceiveResult.Rejected(ProblemType.AppNotAllowed,
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
            LogStorageFailure(ProblemType.StorageTimeout.Code, notification.NotifyType, null);
            _metrics.PushReceived("unavailable", ProblemType.StorageTimeout.Code, notification.NotifyType);
            return ReceiveResult.Unavailable(ProblemType.StorageTimeout,
                $"The notification could not be stored within {_options.EnqueueTimeoutSeconds} s; retry later.", retryAfter);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStorageFailure(ProblemType.StorageUnavailable.Code, notification.NotifyType, ex);
            _metrics.PushReceived("unavailable", ProblemType.StorageUnavailable.Code, notification.NotifyType);
            return ReceiveResult.Unavailable(ProblemType.StorageUnavailable,
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
        ReceiveResult.Rejected(ProblemType.PayloadTooLarge,
            $"The body exceeds the limit of {max} bytes.");

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

    // Only the certificate's public identity is logged, never the header (which a caller controls).
    [LoggerMessage(EventId = 5, Level = LogLevel.Warning,
        Message = "Refused a push: its client certificate failed the check ({Reason}; subject {Subject}, SHA-256 {Thumbprint})")]
    private partial void LogCertificateRefused(string reason, string? subject, string? thumbprint);
}
