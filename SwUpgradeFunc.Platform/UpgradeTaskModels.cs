using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SwUpgradeFunc.Platform;

/// <summary>The status values of upgrade tasks and sub-tasks in the platform's northbound API.</summary>
public static class SubOperationStatuses
{
    /// <summary>Not started yet.</summary>
    public const string Wait = "wait";

    public const string Processing = "processing";

    /// <summary>Ended with a failed upgrade: final.</summary>
    public const string Fail = "fail";

    /// <summary>Ended with a successful upgrade: final.</summary>
    public const string Success = "success";

    /// <summary>Stopped by the operator: final, but neither success nor failure.</summary>
    public const string Stop = "stop";

    /// <summary>The statuses that carry an upgrade result (success or fail), case-insensitively.</summary>
    public static bool IsResult(string? status) =>
        string.Equals(status, Success, StringComparison.OrdinalIgnoreCase) || string.Equals(status, Fail, StringComparison.OrdinalIgnoreCase);

    /// <summary>The result a status stands for as the result pushes spell it (SUCCESS/FAIL), else null.</summary>
    public static string? ToResult(string? status) =>
        string.Equals(status, Success, StringComparison.OrdinalIgnoreCase) ? UpgradeResults.Success
        : string.Equals(status, Fail, StringComparison.OrdinalIgnoreCase) ? UpgradeResults.Fail
        : null;
}

/// <summary>The platform's time stamps: UTC in the form <c>yyyyMMdd'T'HHmmss'Z'</c>, e.g. 20151212T121212Z.</summary>
public static class PlatformTime
{
    public const string Format = "yyyyMMdd'T'HHmmss'Z'";

    public static DateTimeOffset? Parse(string? value) =>
        !string.IsNullOrWhiteSpace(value) && DateTimeOffset.TryParseExact(value.Trim(), Format, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;
}

/// <summary>One sub-task (one device's upgrade) of an upgrade task, as the platform reports it.</summary>
public sealed record SubOperation
{
    [JsonPropertyName("subOperationId")]
    public string? SubOperationId { get; init; }

    [JsonPropertyName("deviceId")]
    public string? DeviceId { get; init; }

    /// <summary>wait, processing, fail, success or stop (<see cref="SubOperationStatuses"/>).</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("operateType")]
    public string? OperateType { get; init; }

    [JsonPropertyName("createTime")]
    public string? CreateTime { get; init; }

    [JsonPropertyName("startTime")]
    public string? StartTime { get; init; }

    [JsonPropertyName("stopTime")]
    public string? StopTime { get; init; }

    /// <summary>Free-form details (e.g. the error of a failed upgrade); kept as the platform sent them.</summary>
    [JsonPropertyName("detailInfo")]
    public JsonElement? DetailInfo { get; init; }

    [JsonPropertyName("extendInfo")]
    public JsonElement? ExtendInfo { get; init; }
}

/// <summary>One page of a task's sub-tasks.</summary>
public sealed record SubOperationPage
{
    [JsonPropertyName("totalCount")]
    public long TotalCount { get; init; }

    [JsonPropertyName("pageNo")]
    public int PageNo { get; init; }

    [JsonPropertyName("pageSize")]
    public int PageSize { get; init; }

    [JsonPropertyName("data")]
    public IReadOnlyList<SubOperation> Data { get; init; } = [];
}

/// <summary>An upgrade task as the platform reports it.</summary>
public sealed record UpgradeOperation
{
    [JsonPropertyName("operationId")]
    public string? OperationId { get; init; }

    /// <summary>firmware_upgrade or software_upgrade.</summary>
    [JsonPropertyName("operateType")]
    public string? OperateType { get; init; }

    /// <summary>wait, processing, failed, success or stop.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("createTime")]
    public string? CreateTime { get; init; }

    [JsonPropertyName("startTime")]
    public string? StartTime { get; init; }

    [JsonPropertyName("stopTime")]
    public string? StopTime { get; init; }

    /// <summary>The task's counts per sub-task status.</summary>
    [JsonPropertyName("staResult")]
    public UpgradeOperationCounts? Counts { get; init; }

    /// <summary>software or firmware, from <see cref="OperateType"/>; null when the platform did not say.</summary>
    public string? Kind => UpgradeKinds.OfOperateType(OperateType);
}

/// <summary>The task's sub-task counts per status.</summary>
public sealed record UpgradeOperationCounts
{
    [JsonPropertyName("total")]
    public int? Total { get; init; }

    [JsonPropertyName("wait")]
    public int? Wait { get; init; }

    [JsonPropertyName("processing")]
    public int? Processing { get; init; }

    [JsonPropertyName("success")]
    public int? Success { get; init; }

    [JsonPropertyName("fail")]
    public int? Fail { get; init; }

    [JsonPropertyName("stop")]
    public int? Stop { get; init; }

    [JsonPropertyName("timeout")]
    public int? Timeout { get; init; }
}
