using Microsoft.AspNetCore.Mvc;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// The task routes' (<c>/api/upgrades/{operationId}…</c>) one way of answering, so that every route refuses a bad id and
/// a task with nothing recorded alike: a bad route id or query is a 400 naming every bad parameter, before anything is
/// read; nothing recorded for the task is a 404.
/// </summary>
public static class TaskRouteAnswer
{
    /// <summary>
    /// Checks the route id (none for the task list, which gets an empty one) and the route's own query parameters,
    /// reads, and answers what was found.
    /// </summary>
    /// <param name="parseQuery">Parses the route's query, adding a problem per bad parameter; its value is not read when one was added.</param>
    public static async Task<IActionResult> AnswerAsync<TQuery, T>(string? routeOperationId, Func<List<FieldError>, TQuery> parseQuery,
        Func<string, TQuery, Task<T?>> read, Func<string, TQuery, T, IActionResult> answer)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(parseQuery);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(answer);
        var errors = new List<FieldError>();
        var operationId = routeOperationId is null ? "" : RouteIds.Check(routeOperationId, "operationId", errors) ?? "";
        var query = parseQuery(errors);
        if (errors.Count > 0)
        {
            return InvalidQuery(errors);
        }

        return await read(operationId, query).ConfigureAwait(false) is { } found
            ? answer(operationId, query, found)
            : UnknownOperation();
    }

    /// <summary>The same for a route that takes no query parameters.</summary>
    public static Task<IActionResult> AnswerAsync<T>(string routeOperationId, Func<string, Task<T?>> read, Func<string, T, IActionResult> answer)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(answer);
        return AnswerAsync<object?, T>(routeOperationId, static _ => null, (id, _) => read(id), (id, _, found) => answer(id, found));
    }

    /// <summary>The 400 naming every bad route id or query parameter.</summary>
    public static HttpAnswer InvalidQuery(IReadOnlyList<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return HttpAnswer.Problem(ProblemType.InvalidQuery, string.Join("; ", errors.Select(e => $"{e.Field} {e.Problem}")), errors);
    }

    /// <summary>The 404 of a task for which no push has been recorded.</summary>
    public static HttpAnswer UnknownOperation() =>
        HttpAnswer.Problem(ProblemType.UnknownOperation, "No push has been recorded for this operationId.");
}
