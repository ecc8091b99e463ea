using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>The operator's status API, behind function keys (docs/api.md).</summary>
public sealed class UpgradeStatusFunctions(UpgradeStateStore store)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;
    public const int DefaultTaskPageSize = 20;
    public const int MaxTaskPageSize = 100;

    [Function("ListUpgrades")]
    public async Task<IActionResult> ListUpgrades(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var query = StatusQuery.Parse(request.Query, DefaultTaskPageSize, MaxTaskPageSize, store.DefaultStalledAfter, phaseAllowed: false, errors);
        if (errors.Count > 0)
        {
            return InvalidQuery(errors);
        }

        try
        {
            var list = await store.ListTasksAsync(query.PageSize, query.ContinuationToken, query.StalledAfter, cancellationToken).ConfigureAwait(false);
            return HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(list, UpgradesJsonContext.Default.TaskList));
        }
        catch (InvalidContinuationTokenException ex)
        {
            return InvalidToken(ex);
        }
    }

    [Function("GetUpgradeProgress")]
    public async Task<IActionResult> GetUpgradeProgress(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var query = StatusQuery.Parse(request.Query, DefaultPageSize, MaxPageSize, store.DefaultStalledAfter, phaseAllowed: false, errors);
        if (errors.Count > 0)
        {
            return InvalidQuery(errors);
        }

        TaskProgress? progress;
        try
        {
            progress = await store.GetTaskAsync(operationId, query.PageSize, query.ContinuationToken, query.StalledAfter, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (InvalidContinuationTokenException ex)
        {
            return InvalidToken(ex);
        }

        return progress is null
            ? UnknownOperation()
            : HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(progress, UpgradesJsonContext.Default.TaskProgress));
    }

    [Function("ListUpgradeSubTasks")]
    public Task<IActionResult> ListUpgradeSubTasks(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/subtasks")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        AnswerSubTasksAsync(request, operationId, DefaultPageSize,
            (_, page) => HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(page, UpgradesJsonContext.Default.SubTaskPage)), cancellationToken);

    [Function("ExportUpgradeSubTasksCsv")]
    public Task<IActionResult> ExportUpgradeSubTasksCsv(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/subtasks.csv")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        AnswerSubTasksAsync(request, operationId, MaxPageSize,
            (query, first) => new CsvAnswer(first, token => store.ListSubTasksAsync(operationId, query.Filter, query.PageSize, token,
                query.StalledAfter, cancellationToken)), cancellationToken);

    /// <summary>Validates the list's query and reads its first page; <paramref name="answer"/> turns that page into the response.</summary>
    private async Task<IActionResult> AnswerSubTasksAsync(HttpRequest request, string operationId, int defaultPageSize,
        Func<StatusQuery, SubTaskPage, IActionResult> answer, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var query = StatusQuery.Parse(request.Query, defaultPageSize, MaxPageSize, store.DefaultStalledAfter, phaseAllowed: true, errors);
        if (errors.Count > 0)
        {
            return InvalidQuery(errors);
        }

        SubTaskPage? page;
        try
        {
            page = await store.ListSubTasksAsync(operationId, query.Filter, query.PageSize, query.ContinuationToken, query.StalledAfter,
                cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidContinuationTokenException ex)
        {
            return InvalidToken(ex);
        }

        return page is null ? UnknownOperation() : answer(query, page);
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

    private static HttpAnswer InvalidQuery(List<FieldError> errors) =>
        HttpAnswer.Problem(400, "invalid-query", "Invalid query parameters",
            string.Join("; ", errors.Select(e => $"{e.Field} {e.Problem}")), errors);

    private static HttpAnswer InvalidToken(InvalidContinuationTokenException ex) =>
        HttpAnswer.Problem(400, "invalid-continuation-token", "Invalid continuation token", ex.Message,
            [new FieldError("continuationToken", ex.Message)]);

    private static HttpAnswer UnknownOperation() =>
        HttpAnswer.Problem(404, "unknown-operation", "Unknown upgrade task", "No push has been recorded for this operationId.");
}
