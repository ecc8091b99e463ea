namespace SwUpgradeFunc.Notifications;

/// <summary>
/// One upgrade push in normalised form: only the contract's fields, each as the string the platform sent
/// (<c>upgradeTime</c> as a string even when it came as a number). Fields a notify type does not carry are null.
/// </summary>
public sealed record UpgradeNotification
{
    public required string NotifyType { get; init; }
    public required string DeviceId { get; init; }
    public required string AppId { get; init; }
    public required string OperationId { get; init; }
    public required string SubOperationId { get; init; }

    /// <summary>swUpgradeStateChangeNotify: downloading, downloaded, updating, idle (or a value not yet documented).</summary>
    public string? SwUpgradeState { get; init; }

    /// <summary>fwUpgradeStateChangeNotify: "0" idle, "1" downloading, "2" downloaded, "3" updating.</summary>
    public string? Step { get; init; }
    public string? StepDesc { get; init; }

    /// <summary>swUpgradeResultNotify: SUCCESS or FAIL.</summary>
    public string? SwUpgradeResult { get; init; }

    /// <summary>fwUpgradeResultNotify: SUCCESS or FAIL.</summary>
    public string? Status { get; init; }
    public string? StatusDesc { get; init; }

    public string? CurVersion { get; init; }
    public string? TargetVersion { get; init; }
    public string? SourceVersion { get; init; }
    public string? UpgradeTime { get; init; }
    public string? ResultDesc { get; init; }
    public string? ErrorCode { get; init; }
    public string? Description { get; init; }
}
