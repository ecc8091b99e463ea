using System.Text;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>Push bodies as the platform sends them, to be varied by tests.</summary>
public static class Pushes
{
    public static JsonObject SwState(string state = "downloading", string deviceId = "dev-1", string operationId = "op-1",
        string subOperationId = "sub-1", string appId = "app-1") => new()
        {
            ["notifyType"] = NotifyTypes.SwUpgradeStateChange,
            ["deviceId"] = deviceId,
            ["appId"] = appId,
            ["operationId"] = operationId,
            ["subOperationId"] = subOperationId,
            ["swUpgradeState"] = state,
        };

    public static JsonObject SwResult(string result = "SUCCESS", string deviceId = "dev-1", string operationId = "op-1",
        string subOperationId = "sub-1", string appId = "app-1") => new()
        {
            ["notifyType"] = NotifyTypes.SwUpgradeResult,
            ["deviceId"] = deviceId,
            ["appId"] = appId,
            ["operationId"] = operationId,
            ["subOperationId"] = subOperationId,
            ["curVersion"] = "2.0.0",
            ["targetVersion"] = "2.0.0",
            ["sourceVersion"] = "1.0.0",
            ["swUpgradeResult"] = result,
            ["upgradeTime"] = "120",
            ["resultDesc"] = "upgrade finished",
            ["errorCode"] = "",
            ["description"] = "software upgrade",
        };

    public static JsonObject FwState(string step = "1", string deviceId = "dev-1", string operationId = "op-1",
        string subOperationId = "sub-1", string appId = "app-1") => new()
        {
            ["notifyType"] = NotifyTypes.FwUpgradeStateChange,
            ["deviceId"] = deviceId,
            ["appId"] = appId,
            ["operationId"] = operationId,
            ["subOperationId"] = subOperationId,
            ["step"] = step,
            ["stepDesc"] = "downloading",
        };

    public static JsonObject FwResult(string status = "SUCCESS", string deviceId = "dev-1", string operationId = "op-1",
        string subOperationId = "sub-1", string appId = "app-1") => new()
        {
            ["notifyType"] = NotifyTypes.FwUpgradeResult,
            ["deviceId"] = deviceId,
            ["appId"] = appId,
            ["operationId"] = operationId,
            ["subOperationId"] = subOperationId,
            ["curVersion"] = "V2",
            ["targetVersion"] = "V2",
            ["sourceVersion"] = "V1",
            ["status"] = status,
            ["statusDesc"] = "ok",
            ["upgradeTime"] = 95,
        };

    public static JsonObject Of(string notifyType) => notifyType switch
    {
        NotifyTypes.SwUpgradeStateChange => SwState(),
        NotifyTypes.SwUpgradeResult => SwResult(),
        NotifyTypes.FwUpgradeStateChange => FwState(),
        NotifyTypes.FwUpgradeResult => FwResult(),
        _ => throw new ArgumentOutOfRangeException(nameof(notifyType)),
    };

    /// <summary>The mandatory fields of each upgrade type, as the contract names them.</summary>
    public static IReadOnlyList<string> MandatoryFields(string notifyType) =>
    [
        "notifyType", "deviceId", "appId", "operationId", "subOperationId",
        notifyType switch
        {
            NotifyTypes.SwUpgradeStateChange => "swUpgradeState",
            NotifyTypes.SwUpgradeResult => "swUpgradeResult",
            NotifyTypes.FwUpgradeStateChange => "step",
            _ => "status",
        },
    ];

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
