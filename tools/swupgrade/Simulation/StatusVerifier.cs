using System.Globalization;
using System.Net;
using System.Text.Json;
using SwUpgrade.Cli.Commands;

namespace SwUpgrade.Cli.Simulation;

/// <summary>A device whose sub-task did not reach its final phase: what was expected and what the status API showed.</summary>
public sealed record VerificationMismatch(string DeviceId, string SubOperationId, string ExpectedPhase, string? ActualPhase);

/// <summary>The comparison of what the fleet should show with what the status API shows.</summary>
public sealed record VerificationResult(int Expected, int Reached, IReadOnlyList<VerificationMismatch> Mismatches, int Unexpected)
{
    public bool AllReached => Mismatches.Count == 0 && Reached == Expected;

    /// <summary>Devices the status API does not know at all: lost pushes (or pushes not yet processed).</summary>
    public int Missing => Mismatches.Count(m => m.ActualPhase is null);

    /// <summary>
    /// Compares expected final phases (by subOperationId) with the phases the status API reports. A sub-task the
    /// API knows that the fleet does not have is counted as unexpected, never as reached.
    /// </summary>
    public static VerificationResult Compare(IReadOnlyDictionary<string, ExpectedDevice> expected,
        IReadOnlyDictionary<string, string?> actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var mismatches = new List<VerificationMismatch>();
        var reached = 0;
        foreach (var (subOperationId, device) in expected.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            actual.TryGetValue(subOperationId, out var phase);
            if (string.Equals(phase, device.FinalPhase, StringComparison.Ordinal))
            {
                reached++;
            }
            else
            {
                mismatches.Add(new VerificationMismatch(device.DeviceId, subOperationId, device.FinalPhase, phase));
            }
        }

        var unexpected = actual.Keys.Count(k => !expected.ContainsKey(k));
        return new VerificationResult(expected.Count, reached, mismatches, unexpected);
    }
}

/// <summary>
/// Reads a task's sub-tasks from the status API (<c>GET /api/upgrades/{operationId}</c>, all pages) and waits until
/// every device reached its final phase: the processor works from a queue, so the state lags the pushes.
/// </summary>
public sealed class StatusVerifier(HttpClient http, TimeProvider? time = null)
{
    public const int PageSize = 1000;

    /// <summary>The longest wait for one page of the status API.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<VerificationResult> VerifyAsync(Uri statusBaseUrl, string? functionKey, string operationId,
        IReadOnlyDictionary<string, ExpectedDevice> expected, TimeSpan timeout, TimeSpan pollInterval,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var started = _time.GetTimestamp();
        while (true)
        {
            var phases = await ReadPhasesAsync(statusBaseUrl, functionKey, operationId, cancellationToken).ConfigureAwait(false);
            var result = VerificationResult.Compare(expected, phases);
            if (result.AllReached || _time.GetElapsedTime(started) + pollInterval > timeout)
            {
                return result;
            }

            await Task.Delay(pollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The problem <c>type</c> of the status API's 404 for a task it has no push for.</summary>
    public const string UnknownOperationProblemType = "urn:swupgradefunc:problem:unknown-operation";

    /// <summary>
    /// Phase by subOperationId for every sub-task of the task; empty while the status API answers its unknown-operation
    /// problem. Any other 404 throws <see cref="StatusApiException"/>.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string?>> ReadPhasesAsync(Uri statusBaseUrl, string? functionKey,
        string operationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statusBaseUrl);
        var phases = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? continuation = null;
        do
        {
            var query = string.Create(CultureInfo.InvariantCulture, $"api/upgrades/{Uri.EscapeDataString(operationId)}?pageSize={PageSize}");
            if (continuation is not null)
            {
                query += "&continuationToken=" + Uri.EscapeDataString(continuation);
            }

            var unknownTask = await StatusApiCall.GetAsync(http, new Uri(statusBaseUrl, query), functionKey, RequestTimeout,
                ", so verification could not finish", async (response, where, ct) =>
                {
                    if (response.StatusCode == HttpStatusCode.NotFound)
                    {
                        // A wrong --status-url on the right host answers the host's own 404; taken for "unknown task" it
                        // would report every sub-task as lost, so only the status API's own problem means that.
                        return await IsUnknownOperationAsync(response, ct).ConfigureAwait(false)
                            ? true
                            : throw new StatusApiException(string.Create(CultureInfo.InvariantCulture,
                                $"The status API answered 404 for {where} without its unknown-operation problem, so it could not be read: is --status-url the function app's base URL (e.g. https://myapp.azurewebsites.net, without /api)?"));
                    }

                    await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    using var json = await JsonDocument.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
                    continuation = ReadPage(json.RootElement, phases);
                    return false;
                }, cancellationToken).ConfigureAwait(false);
            if (unknownTask)
            {
                return phases;
            }
        }
        while (continuation is not null);

        return phases;
    }

    private static async Task<bool> IsUnknownOperationAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!string.Equals(response.Content.Headers.ContentType?.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var problem = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            return problem.RootElement.ValueKind == JsonValueKind.Object &&
                   problem.RootElement.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String &&
                   string.Equals(type.GetString(), UnknownOperationProblemType, StringComparison.Ordinal);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Adds one page's sub-tasks to <paramref name="phases"/>; returns the continuation token, if any.</summary>
    internal static string? ReadPage(JsonElement page, IDictionary<string, string?> phases)
    {
        if (page.TryGetProperty("subTasks", out var subTasks) && subTasks.ValueKind == JsonValueKind.Array)
        {
            foreach (var subTask in subTasks.EnumerateArray())
            {
                if (subTask.TryGetProperty("subOperationId", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    phases[id.GetString()!] = subTask.TryGetProperty("phase", out var phase) && phase.ValueKind == JsonValueKind.String
                        ? phase.GetString()
                        : null;
                }
            }
        }

        return page.TryGetProperty("continuationToken", out var token) && token.ValueKind == JsonValueKind.String &&
               token.GetString() is { Length: > 0 } value
            ? value
            : null;
    }
}

/// <summary>The status API could not be read (unreachable, key refused, unexpected answer, a 404 that is not its own); verification cannot finish.</summary>
public sealed class StatusApiException : Exception
{
    public StatusApiException()
    {
    }

    public StatusApiException(string message)
        : base(message)
    {
    }

    public StatusApiException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
