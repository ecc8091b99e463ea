namespace SwUpgradeFunc.Notifications;

public enum PushKind
{
    /// <summary>One of the four upgrade notifications, valid per the contract.</summary>
    Upgrade,

    /// <summary>A well-formed push of another notifyType: acknowledged, not enqueued.</summary>
    OtherType,

    /// <summary>Not JSON, or JSON followed by more text.</summary>
    Malformed,

    /// <summary>Valid JSON, but not an object.</summary>
    NotAnObject,

    MissingNotifyType,

    /// <summary>An upgrade notification with missing or invalid fields; <see cref="ParsedPush.Errors"/> names them.</summary>
    InvalidFields,
}

/// <summary>What <see cref="NotificationParser"/> made of a push body.</summary>
public readonly struct ParsedPush
{
    private ParsedPush(PushKind kind) => Kind = kind;

    public PushKind Kind { get; }

    /// <summary>The notifyType as sent, when the body had a string one.</summary>
    public string? NotifyType { get; private init; }

    public UpgradeNotification? Notification { get; private init; }

    public IReadOnlyList<FieldError> Errors { get; private init; } = [];

    /// <summary>A sentence for the caller saying what is wrong.</summary>
    public string? Detail { get; private init; }

    public bool IsRejected => Kind is not (PushKind.Upgrade or PushKind.OtherType);

    internal static ParsedPush Upgrade(UpgradeNotification notification) =>
        new(PushKind.Upgrade) { Notification = notification, NotifyType = notification.NotifyType };

    internal static ParsedPush Other(string notifyType) => new(PushKind.OtherType) { NotifyType = notifyType };

    internal static ParsedPush Malformed(string detail) => new(PushKind.Malformed) { Detail = detail };

    internal static ParsedPush NotAnObject(string detail) => new(PushKind.NotAnObject) { Detail = detail };

    internal static ParsedPush MissingNotifyType() =>
        new(PushKind.MissingNotifyType)
        {
            Detail = "The push has no notifyType field.",
            Errors = [new FieldError("notifyType", "is missing")],
        };

    internal static ParsedPush Invalid(string? notifyType, IReadOnlyList<FieldError> errors) =>
        new(PushKind.InvalidFields)
        {
            NotifyType = notifyType,
            Errors = errors,
            Detail = notifyType is null
                ? $"The push is invalid: {Describe(errors)}."
                : $"The {MessageTypes.MetricLabel(notifyType)} push is invalid: {Describe(errors)}.",
        };

    private static string Describe(IReadOnlyList<FieldError> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Field} {e.Problem}"));
}
