using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;

namespace SwUpgradeFunc.Platform;

/// <summary>The upgrade task queries: the task and its sub-tasks (paged), with the same login, token and back-off.</summary>
public sealed partial class HuaweiIotPlatformClient
{
    public const string OperationsPath = "iodm/northbound/v1.5.0/operations";

    /// <summary>The largest page of sub-tasks the platform serves.</summary>
    public const int MaxSubOperationPageSize = 100;

    /// <summary>The platform's answer when it has no such task (404).</summary>
    public const string TaskNotFoundCode = "123009";

    /// <summary>The platform's answer to a page number or size outside its limits (400).</summary>
    public const string PageOutOfRangeCode = "123029";

    /// <summary>The upgrade task <paramref name="operationId"/>. Throws <see cref="UpgradeTaskNotFoundException"/> when the platform has none.</summary>
    public async Task<UpgradeOperation> GetOperationAsync(string operationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operationId);
        var operation = $"Reading upgrade task {operationId}";
        using var response = await SendAuthorizedAsync(
            () => new HttpRequestMessage(HttpMethod.Get, Resolve(OperationsPath + "/" + Uri.EscapeDataString(operationId))),
            operation,
            cancellationToken).ConfigureAwait(false);
        await ThrowUnlessOkAsync(response, operation, operationId, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync<UpgradeOperation>(response, cancellationToken).ConfigureAwait(false) ?? new UpgradeOperation();
    }

    /// <summary>One page of the task's sub-tasks (pageNo from 0, pageSize 1-100), optionally only those in <paramref name="status"/>.</summary>
    public async Task<SubOperationPage> ListSubOperationsAsync(string operationId, string? status, int pageNo, int pageSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operationId);
        ArgumentOutOfRangeException.ThrowIfNegative(pageNo);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxSubOperationPageSize);
        var path = OperationsPath + "/" + Uri.EscapeDataString(operationId) + "/subOperations" + Query(
            ("subOperationStatus", status),
            ("pageNo", pageNo.ToString(CultureInfo.InvariantCulture)),
            ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture)));
        var operation = string.Create(CultureInfo.InvariantCulture, $"Listing the sub-tasks of upgrade task {operationId} (page {pageNo})");
        using var response = await SendAuthorizedAsync(() => new HttpRequestMessage(HttpMethod.Get, Resolve(path)), operation, cancellationToken)
            .ConfigureAwait(false);
        await ThrowUnlessOkAsync(response, operation, operationId, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync<SubOperationPage>(response, cancellationToken).ConfigureAwait(false) ?? new SubOperationPage();
    }

    /// <summary>
    /// All of the task's sub-tasks, page after page of 100, each sub-task once even when the list shifts while it is
    /// paged (a sub-task that changes status can move between pages).
    /// </summary>
    public async IAsyncEnumerable<SubOperation> ListAllSubOperationsAsync(string operationId, string? status = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long read = 0;
        for (var pageNo = 0; ; pageNo++)
        {
            var page = await ListSubOperationsAsync(operationId, status, pageNo, MaxSubOperationPageSize, cancellationToken).ConfigureAwait(false);
            foreach (var sub in page.Data)
            {
                if (sub.SubOperationId is { Length: > 0 } id && seen.Add(id))
                {
                    yield return sub;
                }
            }

            read += page.Data.Count;
            if (page.Data.Count < MaxSubOperationPageSize || read >= page.TotalCount)
            {
                yield break;
            }
        }
    }

    private static async Task ThrowUnlessOkAsync(HttpResponseMessage response, string operation, string operationId, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var (code, description) = PlatformErrors.Parse(body);
        var status = (int)response.StatusCode;
        if (code == TaskNotFoundCode || (code is null && status == 404))
        {
            throw new UpgradeTaskNotFoundException(status, code, description,
                $"{operation} failed: the platform has no upgrade task '{operationId}'. Check the operationId (the task's id as the platform returned it when the task was created).");
        }

        if (code == PageOutOfRangeCode)
        {
            throw new PlatformApiException(status, code, description,
                $"{operation} failed: the platform refused the page number or size (error {code}).");
        }

        throw PlatformErrors.ToException(status, code, description, operation);
    }
}

/// <summary>The platform has no upgrade task with the given operationId (404, 123009).</summary>
public sealed class UpgradeTaskNotFoundException : PlatformApiException
{
    public UpgradeTaskNotFoundException()
    {
    }

    public UpgradeTaskNotFoundException(string message)
        : base(message)
    {
    }

    public UpgradeTaskNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public UpgradeTaskNotFoundException(int httpStatus, string? errorCode, string? errorDescription, string message)
        : base(httpStatus, errorCode, errorDescription, message)
    {
    }
}
