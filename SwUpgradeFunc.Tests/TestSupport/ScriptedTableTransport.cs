using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// The HTTP transport of a TableServiceClient pointed at Azurite: passes every request through to it, records what
/// was sent, and answers the entity writes with a scripted Table service error while one is set. The store code
/// above it runs unchanged, so a test sees exactly what the store and the processor make of a 503 or a 413.
/// </summary>
public sealed class ScriptedTableTransport : DelegatingHandler
{
    private readonly ConcurrentQueue<(string Method, string Path)> _requests = new();
    private volatile Failure? _failure;
    private int _failedWrites;

    private ScriptedTableTransport()
        : base(new SocketsHttpHandler())
    {
    }

    /// <summary>Every request sent, as method and path (without the query).</summary>
    public IReadOnlyList<(string Method, string Path)> Requests => [.. _requests];

    /// <summary>Writes answered with the scripted error.</summary>
    public int FailedWrites => Volatile.Read(ref _failedWrites);

    /// <summary>A service client on Azurite whose traffic goes through a new transport, without SDK-level retries.</summary>
    public static (TableServiceClient Service, ScriptedTableTransport Transport) Create(string connectionString)
    {
        var transport = new ScriptedTableTransport();
        var options = new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(transport)) };
        options.Retry.MaxRetries = 0;
        return (new TableServiceClient(connectionString, options), transport);
    }

    /// <summary>From now on, entity inserts, updates and upserts are answered with this status and error code.</summary>
    public void FailWrites(HttpStatusCode status, string errorCode) => _failure = new Failure(status, errorCode);

    public void Heal() => _failure = null;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        _requests.Enqueue((request.Method.Method, path));
        if (_failure is { } failure && IsEntityWrite(request.Method, path))
        {
            Interlocked.Increment(ref _failedWrites);
            var body = "{\"odata.error\":{\"code\":\"" + failure.ErrorCode +
                       "\",\"message\":{\"lang\":\"en-US\",\"value\":\"scripted by the test\"}}}";
            var response = new HttpResponseMessage(failure.Status)
            {
                RequestMessage = request,
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            response.Headers.Add("x-ms-error-code", failure.ErrorCode);
            response.Headers.Add("x-ms-request-id", Guid.NewGuid().ToString());
            return Task.FromResult(response);
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>An insert, replace, merge or upsert of an entity: anything that writes to a table other than the table list.</summary>
    private static bool IsEntityWrite(HttpMethod method, string path) =>
        method != HttpMethod.Get && method != HttpMethod.Delete && method != HttpMethod.Head &&
        !path.EndsWith("/Tables", StringComparison.Ordinal) && !path.Contains("/Tables(", StringComparison.Ordinal);

    private sealed record Failure(HttpStatusCode Status, string ErrorCode);
}
