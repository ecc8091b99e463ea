using System.Globalization;
using System.Net;
using System.Text.Json;
using SwUpgrade.Cli.Simulation;

namespace SwUpgrade.Cli.Commands;

/// <summary>
/// One GET of the status API with the function key, within a time limit. What goes wrong on the way (unreachable, too
/// slow, the key refused, an error status, an answer that is not the expected JSON) becomes a
/// <see cref="StatusApiException"/> naming the cause; a 404 and a success are the caller's to read.
/// </summary>
internal static class StatusApiCall
{
    /// <param name="failureSuffix">Added to the message of an error status, e.g. what could therefore not be done.</param>
    public static async Task<T> GetAsync<T>(HttpClient http, Uri uri, string? functionKey, TimeSpan timeLimit, string failureSuffix,
        Func<HttpResponseMessage, string, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (!string.IsNullOrEmpty(functionKey))
        {
            request.Headers.Add("x-functions-key", functionKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(timeLimit);
        var where = $"GET {request.RequestUri!.GetLeftPart(UriPartial.Path)}";
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new StatusApiException(string.Create(CultureInfo.InvariantCulture,
                    $"The status API refused the function key ({(int)response.StatusCode} for {where}): pass a key of the function app with --function-key or {SimulateCommand.FunctionKeyEnv}."));
            }

            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            {
                throw new StatusApiException(string.Create(CultureInfo.InvariantCulture,
                    $"The status API answered {(int)response.StatusCode} for {where}{failureSuffix}."));
            }

            return await read(response, where, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new StatusApiException($"The status API could not be reached ({where}: {e.Message.TrimEnd('.')}): is the function app running there? Check --status-url.", e);
        }
        catch (JsonException e)
        {
            throw new StatusApiException($"The status API's answer to {where} is not the expected JSON: check --status-url.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StatusApiException(string.Create(CultureInfo.InvariantCulture, $"The status API did not answer {where} within {timeLimit.TotalSeconds:0} s."), e);
        }
    }
}
