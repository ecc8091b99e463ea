using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Http;
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
    public Task<IActionResult> ListUpgrades(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades")] HttpRequest request,
        CancellationToken cancellationToken) =>
        AnswerAsync(request, null, DefaultTaskPageSize, MaxTaskPageSize, phaseAllowed: false,
            async (_, query) => await store.ListTasksAsync(query.PageSize, query.ContinuationToken, query.StalledAfter, cancellationToken)
                .ConfigureAwait(false),
            (_, _, list) => HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(list, UpgradesJsonContext.Default.TaskList)));

    [Function("GetUpgradeProgress")]
    public Task<IActionResult> GetUpgradeProgress(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        AnswerAsync(request, operationId, DefaultPageSize, MaxPageSize, phaseAllowed: false,
            (id, query) => store.GetTaskAsync(id, query.PageSize, query.ContinuationToken, query.StalledAfter, cancellationToken),
            (_, _, progress) => HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(progress, UpgradesJsonContext.Default.TaskProgress)));

    [Function("ListUpgradeSubTasks")]
    public Task<IActionResult> ListUpgradeSubTasks(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/subtasks")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        AnswerAsync(request, operationId, DefaultPageSize, MaxPageSize, phaseAllowed: true,
            (id, query) => ReadSubTasksAsync(id, query, cancellationToken),
            (_, _, page) => HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(page, UpgradesJsonContext.Default.SubTaskPage)));

    [Function("ExportUpgradeSubTasksCsv")]
    public Task<IActionResult> ExportUpgradeSubTasksCsv(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/upgrades/{operationId}/subtasks.csv")] HttpRequest request,
        string operationId,
        CancellationToken cancellationToken) =>
        AnswerAsync(request, operationId, MaxPageSize, MaxPageSize, phaseAllowed: true,
            (id, query) => ReadSubTasksAsync(id, query, cancellationToken),
            (id, query, first) => new CsvAnswer(first, token => store.ListSubTasksAsync(id, query.Filter, query.PageSize, token,
                query.StalledAfter, cancellationToken)));

    private Task<SubTaskPage?> ReadSubTasksAsync(string operationId, StatusQuery query, CancellationToken cancellationToken) =>
        store.ListSubTasksAsync(operationId, query.Filter, query.PageSize, query.ContinuationToken, query.StalledAfter, cancellationToken);

    /// <summary>
    /// The status routes' one way of answering: a bad query or route id is a 400 naming every bad parameter, before
    /// anything is read; a token the store refuses is a 400 naming <c>continuationToken</c>; nothing recorded for the
    /// task is a 404. The task routes get the checked id (the task list, which has none, an empty one).
    /// </summary>
    private async Task<IActionResult> AnswerAsync<T>(HttpRequest request, string? routeOperationId, int defaultPageSize, int maxPageSize,
        bool phaseAllowed, Func<string, StatusQuery, Task<T?>> read, Func<string, StatusQuery, T, IActionResult> answer)
        where T : class
    {
        var errors = new List<FieldError>();
        var operationId = routeOperationId is null ? "" : RouteIds.Check(routeOperationId, "operationId", errors) ?? "";
        var query = StatusQuery.Parse(request.Query, defaultPageSize, maxPageSize, store.DefaultStalledAfter, phaseAllowed, errors);
        if (errors.Count > 0)
        {
            return InvalidQuery(errors);
        }

        T? found;
        try
        {
            found = await read(operationId, query).ConfigureAwait(false);
        }
        catch (InvalidContinuationTokenException ex)
        {
            return InvalidToken(ex);
        }

        return found is null ? UnknownOperation() : answer(operationId, query, found);
    }

    [Function("GetDeviceUpgrades")]
    public async Task<IActionResult> GetDeviceUpgrades(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/devices/{deviceId}/upgrades")] HttpRequest request,
        string deviceId,
        CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        if (RouteIds.Check(deviceId, "deviceId", errors) is not { } id)
        {
            return InvalidQuery(errors);
        }

        var upgrades = await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false);
        return upgrades is null
            ? HttpAnswer.Problem(ProblemType.UnknownDevice, "No upgrade push has been recorded for this deviceId.")
            : HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(upgrades, UpgradesJsonContext.Default.DeviceUpgrades));
    }

    private static HttpAnswer InvalidQuery(List<FieldError> errors) =>
        HttpAnswer.Problem(ProblemType.InvalidQuery,
            string.Join("; ", errors.Select(e => $"{e.Field} {e.Problem}")), errors);

    private static HttpAnswer InvalidToken(InvalidContinuationTokenException ex) =>
        HttpAnswer.Problem(ProblemType.InvalidContinuationToken, ex.Message,
            [new FieldError("continuationToken", ex.Message)]);

    private static HttpAnswer UnknownOperation() =>
        HttpAnswer.Problem(ProblemType.UnknownOperation, "No push has been recorded for this operationId.");
}
