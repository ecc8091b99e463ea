using System.Text.Json.Serialization;

namespace SwUpgradeFunc.Upgrades;

/// <summary>One row of a task's progress.</summary>
public sealed record SubTaskSummary(
    string DeviceId, string SubOperationId, string Kind, string? Phase, string? LastState, string? Result, DateTimeOffset LastUpdate);

/// <summary>GET /api/upgrades/{operationId}: counts over the whole task, sub-tasks one page at a time.</summary>
public sealed record TaskProgress(
    string OperationId,
    int Total,
    IReadOnlyDictionary<string, int> Phases,
    IReadOnlyList<SubTaskSummary> SubTasks,
    string? ContinuationToken);

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
[JsonSerializable(typeof(DeviceUpgrades))]
[JsonSerializable(typeof(List<HistoryEntry>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class UpgradesJsonContext : JsonSerializerContext;
