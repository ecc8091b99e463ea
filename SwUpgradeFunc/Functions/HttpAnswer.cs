using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// An HTTP answer written without MVC formatters: a status, optional headers and an optional JSON body
/// (RFC 9457 problem details for errors). Having no service dependencies keeps it the same in the host and in tests.
/// </summary>
public sealed class HttpAnswer : IActionResult
{
    private readonly byte[]? _body;
    private readonly string? _contentType;
    private readonly IReadOnlyDictionary<string, string> _headers;

    private HttpAnswer(int statusCode, byte[]? body, string? contentType, IReadOnlyDictionary<string, string>? headers)
    {
        StatusCode = statusCode;
        _body = body;
        _contentType = contentType;
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [NoSniff.Key] = NoSniff.Value };
        foreach (var (name, value) in headers ?? Enumerable.Empty<KeyValuePair<string, string>>())
        {
            all[name] = value;
        }

        _headers = all;
    }

    /// <summary>
    /// On every answer: a browser must not guess a type, so that a JSON, problem or CSV answer holding an id or a
    /// description the platform pushed is never run as HTML or script.
    /// </summary>
    public static readonly KeyValuePair<string, string> NoSniff = new("X-Content-Type-Options", "nosniff");

    public int StatusCode { get; }

    public static HttpAnswer Empty(int statusCode) => new(statusCode, null, null, null);

    public static HttpAnswer Json(int statusCode, byte[] utf8Json) => new(statusCode, utf8Json, "application/json; charset=utf-8", null);

    /// <summary>Any body with its content type and headers; a null body answers with headers only (e.g. 304).</summary>
    public static HttpAnswer Content(int statusCode, byte[]? body, string? contentType, IReadOnlyDictionary<string, string> headers) =>
        new(statusCode, body, contentType, headers);

    public string? ContentType => _contentType;

    public IReadOnlyDictionary<string, string> Headers => _headers;

    public ReadOnlyMemory<byte> Body => _body;

    public static HttpAnswer Problem(ProblemType problem, string detail, IReadOnlyList<FieldError>? errors = null, TimeSpan? retryAfter = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var (reason, statusCode, title) = problem;
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("type", $"urn:swupgradefunc:problem:{reason}");
            writer.WriteString("title", title);
            writer.WriteNumber("status", statusCode);
            writer.WriteString("detail", detail);
            if (errors is { Count: > 0 })
            {
                writer.WriteStartArray("errors");
                foreach (var error in errors)
                {
                    writer.WriteStartObject();
                    writer.WriteString("field", error.Field);
                    writer.WriteString("problem", error.Problem);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        var headers = retryAfter is { } wait
            ? new Dictionary<string, string>
            {
                ["Retry-After"] = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            }
            : null;
        return new HttpAnswer(statusCode, stream.ToArray(), "application/problem+json", headers);
    }

    public Task ExecuteResultAsync(ActionContext context) => WriteAsync(context.HttpContext.Response);

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = StatusCode;
        foreach (var (name, value) in _headers)
        {
            response.Headers[name] = value;
        }

        if (_body is null)
        {
            response.ContentLength = 0;
            return;
        }

        response.ContentType = _contentType;
        response.ContentLength = _body.Length;
        await response.Body.WriteAsync(_body).ConfigureAwait(false);
    }
}
