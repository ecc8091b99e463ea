using System.Text.Json;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// How sub-task state maps to table rows: the sub-task row (everything, history included), its index row (only what the
/// lists and the CSV show, so that they never read a sub-task row) and the device index row.
/// </summary>
internal static class StateEntities
{
    /// <summary>The sub-task row's column that holds the key of its index row.</summary>
    public const string IndexKeyColumn = "IndexKey";

    /// <summary>The columns of an index row, read by the lists.</summary>
    public static readonly string[] SummaryColumns =
    [
        "DeviceId", "SubOperationId", "Kind", "Phase", "LastState", "Result", "ErrorCode", "ResultDesc", "SourceVersion",
        "TargetVersion", "CurVersion", "FirstUpdate", "LastUpdate",
    ];

    public static TableEntity ToEntity(SubTaskState s, string partition, string row) => new(partition, row)
    {
        ["OperationId"] = s.OperationId,
        ["SubOperationId"] = s.SubOperationId,
        ["DeviceId"] = s.DeviceId,
        ["AppId"] = s.AppId,
        ["Kind"] = s.Kind,
        ["Phase"] = s.Phase?.Name(),
        ["LastState"] = s.LastState,
        ["Result"] = s.Result,
        ["CurVersion"] = s.CurVersion,
        ["TargetVersion"] = s.TargetVersion,
        ["SourceVersion"] = s.SourceVersion,
        ["UpgradeTime"] = s.UpgradeTime,
        ["ResultDesc"] = s.ResultDesc,
        ["ErrorCode"] = s.ErrorCode,
        ["SettledAt"] = s.SettledAt,
        ["FirstUpdate"] = s.FirstUpdate,
        ["LastUpdate"] = s.LastUpdate,
        ["Duplicates"] = s.Duplicates,
        ["SkippedSteps"] = s.SkippedSteps,
        ["HistoryDropped"] = s.HistoryDropped,
        ["History"] = JsonSerializer.Serialize(s.History, UpgradesJsonContext.Default.ListHistoryEntry),
        ["Seen"] = JsonSerializer.Serialize(s.Seen, UpgradesJsonContext.Default.ListString),
    };

    public static SubTaskState ToState(TableEntity e) => new()
    {
        OperationId = e.GetString("OperationId"),
        SubOperationId = e.GetString("SubOperationId"),
        DeviceId = e.GetString("DeviceId"),
        AppId = e.GetString("AppId"),
        Kind = e.GetString("Kind"),
        Phase = UpgradePhases.Parse(e.GetString("Phase")),
        LastState = e.GetString("LastState"),
        Result = e.GetString("Result"),
        CurVersion = e.GetString("CurVersion"),
        TargetVersion = e.GetString("TargetVersion"),
        SourceVersion = e.GetString("SourceVersion"),
        UpgradeTime = e.GetString("UpgradeTime"),
        ResultDesc = e.GetString("ResultDesc"),
        ErrorCode = e.GetString("ErrorCode"),
        SettledAt = e.GetDateTimeOffset("SettledAt"),
        FirstUpdate = e.GetDateTimeOffset("FirstUpdate") ?? default,
        LastUpdate = e.GetDateTimeOffset("LastUpdate") ?? default,
        Duplicates = e.GetInt32("Duplicates") ?? 0,
        SkippedSteps = e.GetBoolean("SkippedSteps") ?? false,
        HistoryDropped = e.GetInt32("HistoryDropped") ?? 0,
        History = JsonSerializer.Deserialize(e.GetString("History") ?? "[]", UpgradesJsonContext.Default.ListHistoryEntry) ?? [],
        Seen = JsonSerializer.Deserialize(e.GetString("Seen") ?? "[]", UpgradesJsonContext.Default.ListString) ?? [],
    };

    /// <summary>A sub-task's index row: the columns the lists and the CSV show.</summary>
    public static TableEntity IndexEntity(string partition, string row, SubTaskState s) => new(partition, row)
    {
        ["DeviceId"] = s.DeviceId,
        ["SubOperationId"] = s.SubOperationId,
        ["Kind"] = s.Kind,
        ["Phase"] = s.Phase.NameOrNone(),
        ["LastState"] = s.LastState,
        ["Result"] = s.Result,
        ["ErrorCode"] = s.ErrorCode,
        ["ResultDesc"] = s.ResultDesc,
        ["SourceVersion"] = s.SourceVersion,
        ["TargetVersion"] = s.TargetVersion,
        ["CurVersion"] = s.CurVersion,
        ["FirstUpdate"] = s.FirstUpdate,
        ["LastUpdate"] = s.LastUpdate,
    };

    /// <summary>The device's pointer to one of its sub-tasks, for the device view.</summary>
    public static TableEntity DeviceIndexEntity(string deviceId, string operationId, string subOperationId) =>
        new(StorageKeys.DevicePartition(deviceId), StorageKeys.DeviceRow(operationId, subOperationId))
        {
            ["OperationId"] = operationId,
            ["SubOperationId"] = subOperationId,
        };

    /// <summary>A list's row from an index row; stalled when active and last pushed before the cutoff.</summary>
    public static SubTaskRow ToRow(TableEntity e, long cutoffTicks)
    {
        var phase = e.GetString("Phase") ?? UpgradePhases.None;
        var lastUpdate = e.GetDateTimeOffset("LastUpdate") ?? default;
        var active = UpgradePhases.Parse(phase)?.IsSettled() != true;
        return new SubTaskRow(e.GetString("DeviceId"), e.GetString("SubOperationId"), e.GetString("Kind"), phase, e.GetString("LastState"),
            e.GetString("Result"), e.GetString("ErrorCode"), e.GetString("ResultDesc"), e.GetString("SourceVersion"),
            e.GetString("TargetVersion"), e.GetString("CurVersion"), e.GetDateTimeOffset("FirstUpdate") ?? default, lastUpdate,
            active && lastUpdate.UtcTicks < cutoffTicks);
    }
}
