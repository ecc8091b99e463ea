using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>The operator's status API, behind function keys.</summary>
public sealed class UpgradeStatusFunctions(UpgradeStateStore store)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    [Function("GetUpgradeProgress")]
    public async Task<IActionResult> GetUpgradeProgress(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken)
    {
        var pageSizeText = request.Query["pageSize"].ToString();
        var pageSize = DefaultPageSize;
        if (pageSizeText.Length > 0 &&
            (!int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            return HttpAnswer.Problem(400, "invalid-page-size", "Invalid page size",
                $"pageSize must be a whole number from 1 to {MaxPageSize}.");
        }

        TaskProgress? progress;
        try
        {
            progress = await store.GetTaskAsync(operationId, pageSize, NullIfEmpty(request.Query["continuationToken"].ToString()),
                cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidContinuationTokenException ex)
        {
            return HttpAnswer.Problem(400, "invalid-continuation-token", "Invalid continuation token", ex.Message);
        }

        return progress is null
            ? HttpAnswer.Problem(404, "unknown-operation", "Unknown upgrade task", "No push has been recorded for this operationId.")
            : HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(progress, UpgradesJsonContext.Default.TaskProgress));
    }

    [Function("GetDeviceUpgrades")]
    public async Task<IActionResult> GetDeviceUpgrades(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/devices/{deviceId}/upgrades")] HttpRequest request,
        string deviceId,
        CancellationToken cancellationToken)
    {
        var upgrades = await store.GetDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
        return upgrades is null
            ? HttpAnswer.Problem(404, "unknown-device", "Unknown device", "No upgrade push has been recorded for this deviceId.")
            : HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(upgrades, UpgradesJsonContext.Default.DeviceUpgrades));
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
