using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// The HTTP transport of a TableServiceClient pointed at Azurite: passes every request through to it, records what
/// was sent, and answers the requests a test picks with a scripted Table service error. The store code above it runs
/// unchanged, so a test sees exactly what the store and the processor make of a 503, a 412 or a 413.
/// </summary>
public sealed class ScriptedTableTransport : DelegatingHandler
{
    private readonly ConcurrentQueue<(string Method, string Path)> _requests = new();
    private readonly ConcurrentQueue<string> _transactions = new();
    private volatile Failure? _failure;
    private int _failed;
    private int _rowsQueried;
    private int _queriesInFlight;
    private int _maxQueriesInFlight;

    private ScriptedTableTransport()
        : base(new SocketsHttpHandler())
    {
    }

    /// <summary>Every request sent, as method and unescaped path (without the query).</summary>
    public IReadOnlyList<(string Method, string Path)> Requests => [.. _requests];

    /// <summary>The body of every entity-group transaction sent, in order.</summary>
    public IReadOnlyList<string> Transactions => [.. _transactions];

    /// <summary>Entities the table returned to queries (not to point reads), summed over every query answer.</summary>
    public int RowsQueried => Volatile.Read(ref _rowsQueried);

    /// <summary>The most queries that were waiting for the table at the same moment.</summary>
    public int MaxQueriesInFlight => Volatile.Read(ref _maxQueriesInFlight);

    /// <summary>Requests answered with the scripted error.</summary>
    public int FailedWrites => Volatile.Read(ref _failed);

    /// <summary>A service client on Azurite whose traffic goes through a new transport, without SDK-level retries.</summary>
    public static (TableServiceClient Service, ScriptedTableTransport Transport) Create(string connectionString)
    {
        var transport = new ScriptedTableTransport();
        var options = new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(transport)) };
        options.Retry.MaxRetries = 0;
        return (new TableServiceClient(connectionString, options), transport);
    }

    /// <summary>Entity inserts, updates, upserts and transactions are answered with this error, the next <paramref name="times"/> times.</summary>
    public void FailWrites(HttpStatusCode status, string errorCode, int times = int.MaxValue) =>
        Fail((r, _) => IsEntityWrite(r), status, errorCode, times);

    /// <summary>Entity-group transactions whose body contains <paramref name="text"/> are answered with this error.</summary>
    public void FailTransactionsContaining(string text, HttpStatusCode status, string errorCode, int times = int.MaxValue) =>
        Fail((_, body) => body?.Contains(text, StringComparison.Ordinal) == true, status, errorCode, times);

    /// <summary>Creating a table is answered with this error.</summary>
    public void FailTableCreation(HttpStatusCode status, string errorCode) =>
        Fail((r, _) => r.Method == HttpMethod.Post && r.RequestUri!.AbsolutePath.EndsWith("/Tables", StringComparison.Ordinal),
            status, errorCode, int.MaxValue);

    /// <summary>A query that carries the table's own continuation (NextPartitionKey/NextRowKey) is answered with this error.</summary>
    public void FailContinuedQueries(HttpStatusCode status, string errorCode) =>
        Fail((r, _) => r.Method == HttpMethod.Get && r.RequestUri!.Query.Contains("NextPartitionKey", StringComparison.OrdinalIgnoreCase),
            status, errorCode, int.MaxValue);

    public void Heal() => _failure = null;

    /// <summary>Forgets the requests and transactions recorded so far.</summary>
    public void ClearRequests()
    {
        _requests.Clear();
        _transactions.Clear();
        Volatile.Write(ref _maxQueriesInFlight, 0);
    }

    private void Fail(Func<HttpRequestMessage, string?, bool> match, HttpStatusCode status, string errorCode, int times) =>
        _failure = new Failure(match, status, errorCode, times);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath);
        _requests.Enqueue((request.Method.Method, path));
        string? transaction = null;
        if (request.Method == HttpMethod.Post && path.EndsWith("/$batch", StringComparison.Ordinal) && request.Content is not null)
        {
            // Buffered first, so that reading it here leaves the body intact for the table.
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            transaction = await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            _transactions.Enqueue(transaction);
        }

        if (_failure is { } failure && failure.Match(request, transaction) && Interlocked.Decrement(ref failure.Remaining) >= 0)
        {
            Interlocked.Increment(ref _failed);
            var body = "{\"odata.error\":{\"code\":\"" + failure.ErrorCode +
                       "\",\"message\":{\"lang\":\"en-US\",\"value\":\"scripted by the test\"}}}";
            var response = new HttpResponseMessage(failure.Status)
            {
                RequestMessage = request,
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            response.Headers.Add("x-ms-error-code", failure.ErrorCode);
            response.Headers.Add("x-ms-request-id", Guid.NewGuid().ToString());
            return response;
        }

        var query = request.Method == HttpMethod.Get && path.EndsWith("()", StringComparison.Ordinal);
        if (query)
        {
            var inFlight = Interlocked.Increment(ref _queriesInFlight);
            for (var max = Volatile.Read(ref _maxQueriesInFlight); inFlight > max; max = Volatile.Read(ref _maxQueriesInFlight))
            {
                Interlocked.CompareExchange(ref _maxQueriesInFlight, inFlight, max);
            }
        }

        HttpResponseMessage answer;
        try
        {
            answer = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (query)
            {
                Interlocked.Decrement(ref _queriesInFlight);
            }
        }

        if (query && answer.IsSuccessStatusCode)
        {
            await answer.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            using var json = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            Interlocked.Add(ref _rowsQueried, json.RootElement.GetProperty("value").GetArrayLength());
        }

        return answer;
    }

    /// <summary>Anything that writes entities: inserts, replaces, merges, upserts and entity-group transactions.</summary>
    private static bool IsEntityWrite(HttpRequestMessage request)
    {
        var path = request.RequestUri!.AbsolutePath;
        return request.Method != HttpMethod.Get && request.Method != HttpMethod.Delete && request.Method != HttpMethod.Head &&
               !path.EndsWith("/Tables", StringComparison.Ordinal) && !path.Contains("/Tables(", StringComparison.Ordinal);
    }

    private sealed class Failure(Func<HttpRequestMessage, string?, bool> match, HttpStatusCode status, string errorCode, int times)
    {
        public int Remaining = times;

        public Func<HttpRequestMessage, string?, bool> Match { get; } = match;

        public HttpStatusCode Status { get; } = status;

        public string ErrorCode { get; } = errorCode;
    }
}
