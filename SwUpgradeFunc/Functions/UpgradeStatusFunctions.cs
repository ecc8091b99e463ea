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
    /// The status routes' one way of answering: the task routes' (<see cref="TaskRouteAnswer"/>) with the status query,
    /// and a token the store refuses a 400 naming <c>continuationToken</c> (only the read takes the token).
    /// </summary>
    private async Task<IActionResult> AnswerAsync<T>(HttpRequest request, string? routeOperationId, int defaultPageSize, int maxPageSize,
        bool phaseAllowed, Func<string, StatusQuery, Task<T?>> read, Func<string, StatusQuery, T, IActionResult> answer)
        where T : class
    {
        try
        {
            return await TaskRouteAnswer.AnswerAsync(routeOperationId,
                errors => StatusQuery.Parse(request.Query, defaultPageSize, maxPageSize, store.DefaultStalledAfter, phaseAllowed, errors),
                read, answer).ConfigureAwait(false);
        }
        catch (InvalidContinuationTokenException ex)
        {
            return InvalidToken(ex);
        }
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
            return TaskRouteAnswer.InvalidQuery(errors);
        }

        var upgrades = await store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false);
        return upgrades is null
            ? HttpAnswer.Problem(ProblemType.UnknownDevice, "No upgrade push has been recorded for this deviceId.")
            : HttpAnswer.Json(200, JsonSerializer.SerializeToUtf8Bytes(upgrades, UpgradesJsonContext.Default.DeviceUpgrades));
    }

    private static HttpAnswer InvalidToken(InvalidContinuationTokenException ex) =>
        HttpAnswer.Problem(ProblemType.InvalidContinuationToken, ex.Message,
            [new FieldError("continuationToken", ex.Message)]);
}
