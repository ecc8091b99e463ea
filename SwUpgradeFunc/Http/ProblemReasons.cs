namespace SwUpgradeFunc.Http;

/// <summary>
/// Every reason code an error answer can carry (the problem's <c>type</c> is <c>urn:swupgradefunc:problem:&lt;reason&gt;</c>,
/// and the receiver's metrics and logs use the same code): clients and alerts match on these, so they are kept in
/// one list and never spelled out at a call site.
/// </summary>
public static class ProblemReasons
{
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string PayloadTooLarge = "payload-too-large";

    public const string MalformedJson = "malformed-json";
    public const string NotAnObject = "not-an-object";
    public const string MissingNotifyType = "missing-notify-type";
    public const string InvalidFields = "invalid-fields";
    public const string AppNotAllowed = "app-not-allowed";
    public const string StorageTimeout = "storage-timeout";
    public const string StorageUnavailable = "storage-unavailable";

    public const string InvalidQuery = "invalid-query";
    public const string InvalidContinuationToken = "invalid-continuation-token";
    public const string UnknownOperation = "unknown-operation";
    public const string UnknownDevice = "unknown-device";

    public const string InvalidReconciliation = "invalid-reconciliation";

    public const string UnknownAsset = "unknown-asset";
}
