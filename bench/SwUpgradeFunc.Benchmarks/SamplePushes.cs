using System.Text;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>Push bodies as the platform sends them (realistic id lengths), one per upgrade notify type.</summary>
internal static class SamplePushes
{
    public const string AppId = "b6d3c0b4e1f24f7b9a2d5e8c1f0a3b7d";

    public static byte[] Body(string notifyType, int device = 1, string? state = null) =>
        Encoding.UTF8.GetBytes(Json(notifyType, device, state));

    public static string Json(string notifyType, int device = 1, string? state = null)
    {
        var ids = $"\"deviceId\":\"8d1f7c2e-4b3a-4e5f-9a6b-{device:D12}\",\"appId\":\"{AppId}\"," +
                  "\"operationId\":\"5f8e3a1c9b2d4e6f8a0b1c2d\",\"subOperationId\":" +
                  $"\"7a9c1e3f5b7d9f1a3c5e7{device:D11}\"";
        return notifyType switch
        {
            NotifyTypes.SwUpgradeStateChange =>
                $"{{\"notifyType\":\"{notifyType}\",{ids},\"swUpgradeState\":\"{state ?? "downloading"}\"}}",
            NotifyTypes.SwUpgradeResult =>
                $"{{\"notifyType\":\"{notifyType}\",{ids},\"curVersion\":\"V2.0.0\",\"targetVersion\":\"V2.0.0\"," +
                $"\"sourceVersion\":\"V1.0.0\",\"swUpgradeResult\":\"{state ?? "SUCCESS"}\",\"upgradeTime\":\"120\"," +
                "\"resultDesc\":\"upgrade finished\",\"errorCode\":\"\",\"description\":\"software upgrade\"}",
            NotifyTypes.FwUpgradeStateChange =>
                $"{{\"notifyType\":\"{notifyType}\",{ids},\"step\":\"{state ?? "1"}\",\"stepDesc\":\"downloading\"}}",
            NotifyTypes.FwUpgradeResult =>
                $"{{\"notifyType\":\"{notifyType}\",{ids},\"curVersion\":\"V2\",\"targetVersion\":\"V2\"," +
                $"\"sourceVersion\":\"V1\",\"status\":\"{state ?? "SUCCESS"}\",\"statusDesc\":\"ok\",\"upgradeTime\":95}}",
            _ => throw new ArgumentOutOfRangeException(nameof(notifyType), notifyType, "not an upgrade notify type"),
        };
    }
}
