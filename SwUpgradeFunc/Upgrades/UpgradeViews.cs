using System.Text.Json.Serialization;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>One sub-task in a task's lists and CSV export: its phase index row, never its history.</summary>
public sealed record SubTaskRow(
    string DeviceId,
    string SubOperationId,
    string Kind,
    string Phase,
    string? LastState,
    string? Result,
    string? ErrorCode,
    string? ResultDesc,
    string? SourceVersion,
    string? TargetVersion,
    string? CurVersion,
    DateTimeOffset FirstUpdate,
    DateTimeOffset LastUpdate,
    bool Stalled);

/// <summary>A task's counts, as the task list and the progress answer show them.</summary>
public record TaskSummary(
    string OperationId,
    string Kind,
    DateTimeOffset FirstUpdate,
    DateTimeOffset LastUpdate,
    int Total,
    IReadOnlyDictionary<string, int> Phases,
    int Active,
    int Settled,
    int Stalled,
    string StalledAfter,
    double? FailureRate,
    bool Alert);

/// <summary>GET /api/upgrades: tasks, most recent activity first.</summary>
public sealed record TaskList(IReadOnlyList<TaskSummary> Tasks, string? ContinuationToken);

/// <summary>GET /api/upgrades/{operationId}: the task's counts, the alert's rule, and its sub-tasks one page at a time.</summary>
/// <remarks>The serializer writes a derived type's own properties first; their order puts them after the summary's.</remarks>
public sealed record TaskProgress : TaskSummary
{
    public TaskProgress(TaskSummary summary, double failureRateThreshold, int failureRateMinSettled, IReadOnlyList<SubTaskRow> subTasks,
        string? continuationToken)
        : base(summary)
    {
        FailureRateThreshold = failureRateThreshold;
        FailureRateMinSettled = failureRateMinSettled;
        SubTasks = subTasks;
        ContinuationToken = continuationToken;
    }

    [JsonPropertyOrder(1)]
    public double FailureRateThreshold { get; init; }

    [JsonPropertyOrder(2)]
    public int FailureRateMinSettled { get; init; }

    [JsonPropertyOrder(3)]
    public IReadOnlyList<SubTaskRow> SubTasks { get; init; }

    [JsonPropertyOrder(4)]
    public string? ContinuationToken { get; init; }
}

/// <summary>GET /api/upgrades/{operationId}/subtasks: one page of a filtered list.</summary>
public sealed record SubTaskPage(
    string OperationId,
    string? Phase,
    string StalledAfter,
    IReadOnlyList<SubTaskRow> SubTasks,
    string? ContinuationToken)
{
    /// <summary>The error code the list is filtered by; not written when none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ErrorCode { get; init; }
}

/// <summary>One sub-task of a device, with its history.</summary>
public sealed record SubTaskDetail(
    string OperationId,
    string SubOperationId,
    string DeviceId,
    string AppId,
    string Kind,
    string? Phase,
    string? LastState,
    string? Result,
    string? CurVersion,
    string? TargetVersion,
    string? SourceVersion,
    string? UpgradeTime,
    string? ResultDesc,
    string? ErrorCode,
    DateTimeOffset FirstUpdate,
    DateTimeOffset LastUpdate,
    int Duplicates,
    bool SkippedSteps,
    int HistoryDropped,
    IReadOnlyList<HistoryEntry> History)
{
    public static SubTaskDetail From(SubTaskState s) => new(
        s.OperationId, s.SubOperationId, s.DeviceId, s.AppId, s.Kind, s.Phase?.Name(), s.LastState, s.Result,
        s.CurVersion, s.TargetVersion, s.SourceVersion, s.UpgradeTime, s.ResultDesc, s.ErrorCode, s.FirstUpdate,
        s.LastUpdate, s.Duplicates, s.SkippedSteps, s.HistoryDropped, s.History);
}

/// <summary>GET /api/devices/{deviceId}/upgrades.</summary>
public sealed record DeviceUpgrades(string DeviceId, IReadOnlyList<SubTaskDetail> SubTasks);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TaskProgress))]
[JsonSerializable(typeof(TaskList))]
[JsonSerializable(typeof(SubTaskPage))]
[JsonSerializable(typeof(DeviceUpgrades))]
[JsonSerializable(typeof(List<HistoryEntry>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class UpgradesJsonContext : JsonSerializerContext;
