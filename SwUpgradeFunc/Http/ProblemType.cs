namespace SwUpgradeFunc.Http;

/// <summary>
/// One kind of error answer: its reason code (the problem's <c>type</c> is <c>urn:swupgradefunc:problem:&lt;code&gt;</c>,
/// and the receiver's metrics and logs use the same code), its status and its title. Clients and alerts match on the
/// codes, so every kind is listed here once and always answers with the same status and title.
/// </summary>
public sealed record ProblemType(string Code, int Status, string Title)
{
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", 415, "Unsupported media type");
    public static readonly ProblemType PayloadTooLarge = new("payload-too-large", 413, "Payload too large");

    public static readonly ProblemType MalformedJson = new("malformed-json", 400, "Malformed JSON");
    public static readonly ProblemType NotAnObject = new("not-an-object", 400, "Not a JSON object");
    public static readonly ProblemType MissingNotifyType = new("missing-notify-type", 400, "Missing notifyType");
    public static readonly ProblemType InvalidFields = new("invalid-fields", 400, "Invalid notification");
    public static readonly ProblemType AppNotAllowed = new("app-not-allowed", 403, "Application not allowed");
    public static readonly ProblemType StorageTimeout = new("storage-timeout", 503, "Notification storage unavailable");
    public static readonly ProblemType StorageUnavailable = new("storage-unavailable", 503, "Notification storage unavailable");

    public static readonly ProblemType InvalidQuery = new("invalid-query", 400, "Invalid query parameters");
    public static readonly ProblemType InvalidContinuationToken = new("invalid-continuation-token", 400, "Invalid continuation token");
    public static readonly ProblemType UnknownOperation = new("unknown-operation", 404, "Unknown upgrade task");
    public static readonly ProblemType UnknownDevice = new("unknown-device", 404, "Unknown device");

    public static readonly ProblemType InvalidReconciliation = new("invalid-reconciliation", 400, "Invalid reconciliation request");

    public static readonly ProblemType UnknownAsset = new("unknown-asset", 404, "Not found");

    // The callback's client certificate check (Receiver:ClientCertificate): one kind per reason a push is refused.
    public static readonly ProblemType ClientCertificateMissing = new("client-certificate-missing", 403, "Client certificate required");
    public static readonly ProblemType ClientCertificateMalformed = new("client-certificate-malformed", 403, "Client certificate unreadable");
    public static readonly ProblemType ClientCertificateUntrusted = new("client-certificate-untrusted", 403, "Client certificate not trusted");
    public static readonly ProblemType ClientCertificateExpired = new("client-certificate-expired", 403, "Client certificate expired");
    public static readonly ProblemType ClientCertificateNotYetValid = new("client-certificate-not-yet-valid", 403, "Client certificate not yet valid");
    public static readonly ProblemType ClientCertificatePinMismatch = new("client-certificate-pin-mismatch", 403, "Client certificate not pinned");
    public static readonly ProblemType ClientCertificateSubjectMismatch = new("client-certificate-subject-mismatch", 403, "Client certificate subject not expected");

    public static IReadOnlyList<ProblemType> All { get; } =
    [
        UnsupportedMediaType, PayloadTooLarge, MalformedJson, NotAnObject, MissingNotifyType, InvalidFields, AppNotAllowed,
        StorageTimeout, StorageUnavailable, InvalidQuery, InvalidContinuationToken, UnknownOperation, UnknownDevice,
        InvalidReconciliation, UnknownAsset,
        ClientCertificateMissing, ClientCertificateMalformed, ClientCertificateUntrusted, ClientCertificateExpired,
        ClientCertificateNotYetValid, ClientCertificatePinMismatch, ClientCertificateSubjectMismatch,
    ];

    public override string ToString() => Code;
}
