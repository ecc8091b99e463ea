using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Reconciliation;

/// <summary>
/// Sends the platform's final statuses to the app's reconciliation route (<c>POST /api/upgrades/{operationId}/reconciliations</c>),
/// which queues them for the processor. Never to the push receiver: a repair is not a push.
/// </summary>
public static class RepairRequests
{
    /// <summary>The most sub-tasks the route takes in one request.</summary>
    public const int BatchSize = 1000;

    /// <summary>Returns how many sub-tasks the app accepted.</summary>
    public static async Task<int> SendAsync(HttpClient http, Uri statusBase, string? functionKey, string operationId, string appId,
        string? kind, IReadOnlyList<SubTaskDifference> repairs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(repairs);
        var accepted = 0;
        foreach (var batch in repairs.Chunk(BatchSize))
        {
            var body = new JsonObject
            {
                ["appId"] = appId,
                ["kind"] = kind,
                ["subTasks"] = new JsonArray([.. batch.Select(d => (JsonNode)new JsonObject
                {
                    ["subOperationId"] = d.SubOperationId,
                    ["deviceId"] = d.DeviceId,
                    ["status"] = d.PlatformStatus,
                    ["stopTime"] = d.PlatformStopTime?.UtcDateTime.ToString(PlatformTime.Format, CultureInfo.InvariantCulture),
                })]),
            };
            using var request = new HttpRequestMessage(HttpMethod.Post,
                new Uri(statusBase, $"api/upgrades/{Uri.EscapeDataString(operationId)}/reconciliations"))
            {
                Content = JsonContent.Create(body),
            };
            if (!string.IsNullOrEmpty(functionKey))
            {
                request.Headers.Add("x-functions-key", functionKey);
            }

            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                var detail = await ProblemDetailAsync(response, cancellationToken).ConfigureAwait(false);
                throw new HttpRequestException(
                    $"The app answered {(int)response.StatusCode} to the repair of {accepted + batch.Length} sub-task(s) at POST {request.RequestUri!.AbsolutePath}{detail}. "
                    + $"{accepted} were accepted before; running the command again is safe.",
                    null, response.StatusCode);
            }

            accepted += batch.Length;
        }

        return accepted;
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            return problem.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
                ? ": " + detail.GetString()
                : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
