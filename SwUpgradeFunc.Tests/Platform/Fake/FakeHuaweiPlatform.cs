using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SwUpgradeFunc.Tests.Platform.Fake;

/// <summary>One request as the fake platform received it.</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string QueryString,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    string? ClientCertificateThumbprint)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>A subscription as the fake keeps it.</summary>
public sealed record FakeSubscription(string SubscriptionId, string NotifyType, string CallbackUrl, string Api);

/// <summary>
/// A fake of the Huawei IoT platform's northbound API (login, refresh, management- and service-data subscriptions,
/// query, delete) on 127.0.0.1 over HTTPS, with a server certificate issued by a test CA. It records every request.
/// Only the newest access token is valid, as on the real platform.
/// </summary>
public sealed partial class FakeHuaweiPlatform : IAsyncDisposable
{
    public const string DefaultAppId = "fake-app-id";
    public const string DefaultSecret = "fake-app-secret";

    /// <summary>The scripted "status" of an answer cut short: no HTTP status is 0.</summary>
    private const int CutShort = 0;

    private static readonly string[] UpgradeTypes =
        ["swUpgradeStateChangeNotify", "swUpgradeResultNotify", "fwUpgradeStateChangeNotify", "fwUpgradeResultNotify"];

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<FakeSubscription> _subscriptions = [];
    private readonly ConcurrentQueue<(string PathContains, int Status, string? Code, string Description, int? RetryAfterSeconds)> _failures = new();
    private int _tokenCounter;
    private int _subscriptionCounter;
    private int _loginsInFlight;
    private int _maxLoginsInFlight;
    private string? _accessToken;
    private string? _refreshToken;

    private FakeHuaweiPlatform(WebApplication app, bool requireClientCertificate)
    {
        _app = app;
        RequireClientCertificate = requireClientCertificate;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public Uri BaseUrl { get; }

    public bool RequireClientCertificate { get; }

    public string AppId { get; set; } = DefaultAppId;

    public string Secret { get; set; } = DefaultSecret;

    /// <summary>The expiresIn the login and refresh answers carry.</summary>
    public long ExpiresIn { get; set; } = 3600;

    /// <summary>How long the login takes, so that concurrent callers overlap.</summary>
    public TimeSpan LoginDelay { get; set; } = TimeSpan.Zero;

    /// <summary>When set, every token is refused (1010005), as if another client kept logging in.</summary>
    public bool RejectAllTokens { get; set; }

    public int LoginCount { get; private set; }

    public int RefreshCount { get; private set; }

    /// <summary>The most logins that were in progress at one time.</summary>
    public int MaxConcurrentLogins => Volatile.Read(ref _maxLoginsInFlight);

    public string? CurrentAccessToken
    {
        get
        {
            lock (_gate)
            {
                return _accessToken;
            }
        }
    }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<FakeSubscription> Subscriptions
    {
        get
        {
            lock (_gate)
            {
                return [.. _subscriptions];
            }
        }
    }

    public IReadOnlyList<RecordedRequest> RequestsTo(string path) =>
        [.. Requests.Where(r => string.Equals(r.Path, path, StringComparison.Ordinal))];

    /// <summary>Starts the fake with a server certificate from <paramref name="ca"/>: for 127.0.0.1 unless one is given.</summary>
    public static async Task<FakeHuaweiPlatform> StartAsync(TestCertificateAuthority ca, bool requireClientCertificate = false,
        X509Certificate2? serverCertificate = null, X509Certificate2Collection? serverCertificateChain = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        serverCertificate ??= ca.IssueServerCertificate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ServerCertificateChain = serverCertificateChain;
            if (requireClientCertificate)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (certificate, _, _) => ca.Issued(certificate);
            }
        })));
        var app = builder.Build();
        FakeHuaweiPlatform? fake = null;
        app.Run(context => fake!.HandleAsync(context));
        await app.StartAsync();
        fake = new FakeHuaweiPlatform(app, requireClientCertificate);
        return fake;
    }

    /// <summary>
    /// The next request whose method and path (<c>"DELETE /iocm/..."</c>) contain <paramref name="pathContains"/> is answered
    /// with this error.
    /// </summary>
    public void EnqueueFailure(string pathContains, int status, string? code, string description = "scripted failure", int? retryAfterSeconds = null)
        => _failures.Enqueue((pathContains, status, code, description, retryAfterSeconds));

    /// <summary>The next request whose path contains <paramref name="pathContains"/> gets an answer cut short: the connection closes mid-body.</summary>
    public void CutAnswerShort(string pathContains) => EnqueueFailure(pathContains, CutShort, string.Empty);

    /// <summary>The subscription list's totalCount, when set: a platform whose count and pages disagree (the list changed while paged).</summary>
    public int? ReportedTotalCount { get; set; }

    /// <summary>Throttles the next <paramref name="count"/> matching requests (403 1010009), optionally with a Retry-After.</summary>
    public void Throttle(string pathContains, int count, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < count; i++)
        {
            EnqueueFailure(pathContains, 403, "1010009", "Too many requests", retryAfterSeconds);
        }
    }

    /// <summary>Makes the current token invalid, as a login by another client would.</summary>
    public void InvalidateTokens()
    {
        lock (_gate)
        {
            _accessToken = null;
        }
    }

    /// <summary>Adds a subscription directly (as if made earlier).</summary>
    public FakeSubscription AddSubscription(string notifyType, string callbackUrl)
    {
        lock (_gate)
        {
            var s = new FakeSubscription(NextSubscriptionId(), notifyType, callbackUrl, UpgradeTypes.Contains(notifyType) ? "management" : "service");
            _subscriptions.Add(s);
            return s;
        }
    }

    private string NextSubscriptionId() => "sub-" + (++_subscriptionCounter).ToString("D4", CultureInfo.InvariantCulture);

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var clientCertificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var path = request.Path.Value ?? string.Empty;
        lock (_gate)
        {
            _requests.Add(new RecordedRequest(request.Method, path, request.QueryString.Value ?? string.Empty, headers, body, clientCertificate?.Thumbprint));
        }

        if (TryTakeFailure(request.Method + " " + path, out var failure))
        {
            if (failure.Status == CutShort)
            {
                // An answer cut short: the headers promise a body that never comes, and the connection closes.
                context.Response.StatusCode = 200;
                context.Response.ContentLength = 100;
                await context.Response.Body.WriteAsync("{"u8.ToArray());
                await context.Response.Body.FlushAsync();
                return;
            }

            if (failure.RetryAfterSeconds is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            }

            await ErrorAsync(context, failure.Status, failure.Code, failure.Description);
            return;
        }

        switch (request.Method, path)
        {
            case ("POST", "/iocm/app/sec/v1.1.0/login"):
                await LoginAsync(context, body);
                return;
            case ("POST", "/iocm/app/sec/v1.1.0/refreshToken"):
                await RefreshAsync(context, body);
                return;
        }

        var management = path.StartsWith("/iodm/", StringComparison.Ordinal);
        if (!IsAuthorized(headers))
        {
            // The management API documents 403 1010005; the service API answers 401.
            await ErrorAsync(context, management ? 403 : 401, "1010005", "Invalid access token or appId.");
            return;
        }

        const string subscriptions = "/iocm/app/sub/v1.2.0/subscriptions";
        switch (request.Method)
        {
            case "POST" when path == "/iodm/app/sub/v1.1.0/subscribe":
                await SubscribeAsync(context, body, management: true);
                return;
            case "POST" when path == subscriptions:
                await SubscribeAsync(context, body, management: false);
                return;
            case "GET" when path == subscriptions:
                await ListAsync(context);
                return;
            case "GET" when path.StartsWith(subscriptions + "/", StringComparison.Ordinal):
                await GetOneAsync(context, path[(subscriptions.Length + 1)..]);
                return;
            case "DELETE" when path.StartsWith(subscriptions + "/", StringComparison.Ordinal):
                await DeleteOneAsync(context, Uri.UnescapeDataString(path[(subscriptions.Length + 1)..]));
                return;
            case "DELETE" when path == subscriptions:
                DeleteMatching(context);
                return;
            case "GET" when path.StartsWith(OperationsPrefix, StringComparison.Ordinal):
                await OperationsAsync(context, path[OperationsPrefix.Length..]);
                return;
            default:
                await ErrorAsync(context, 404, "100418", "Resource not found.");
                return;
        }
    }

    private bool TryTakeFailure(string methodAndPath, out (string PathContains, int Status, string? Code, string Description, int? RetryAfterSeconds) failure)
    {
        lock (_gate)
        {
            if (_failures.TryPeek(out failure) && methodAndPath.Contains(failure.PathContains, StringComparison.Ordinal))
            {
                return _failures.TryDequeue(out failure);
            }
        }

        return false;
    }

    private async Task LoginAsync(HttpContext context, string body)
    {
        var inFlight = Interlocked.Increment(ref _loginsInFlight);
        try
        {
            int max;
            while (inFlight > (max = Volatile.Read(ref _maxLoginsInFlight)) && Interlocked.CompareExchange(ref _maxLoginsInFlight, inFlight, max) != max)
            {
            }

            if (LoginDelay > TimeSpan.Zero)
            {
                await Task.Delay(LoginDelay);
            }

            if (!(context.Request.ContentType ?? string.Empty).StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            {
                await ErrorAsync(context, 400, "102202", "Content-Type must be application/x-www-form-urlencoded.");
                return;
            }

            var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(body);
            var appId = form.TryGetValue("appId", out var a) ? a.ToString() : null;
            var secret = form.TryGetValue("secret", out var s) ? s.ToString() : null;
            if (string.IsNullOrEmpty(appId) || string.IsNullOrEmpty(secret))
            {
                await ErrorAsync(context, 400, "102202", "Missing parameter.");
                return;
            }

            if (appId != AppId || secret != Secret)
            {
                await ErrorAsync(context, 401, "100208", "AppId or secret is not right.");
                return;
            }

            lock (_gate)
            {
                LoginCount++;
            }

            await IssueTokenAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref _loginsInFlight);
        }
    }

    private async Task RefreshAsync(HttpContext context, string body)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            json = null;
        }

        var appId = json?["appId"]?.GetValue<string>();
        var secret = json?["secret"]?.GetValue<string>();
        var refresh = json?["refreshToken"]?.GetValue<string>();
        if (appId is null || secret is null || refresh is null)
        {
            await ErrorAsync(context, 400, "102202", "Missing parameter.");
            return;
        }

        if (appId != AppId || secret != Secret)
        {
            await ErrorAsync(context, 401, "100208", "AppId or secret is not right.");
            return;
        }

        lock (_gate)
        {
            if (refresh != _refreshToken)
            {
                refresh = null;
            }
            else
            {
                RefreshCount++;
            }
        }

        if (refresh is null)
        {
            await ErrorAsync(context, 401, "1010005", "Invalid refresh token.");
            return;
        }

        await IssueTokenAsync(context);
    }

    private async Task IssueTokenAsync(HttpContext context)
    {
        string access, refresh;
        lock (_gate)
        {
            var n = ++_tokenCounter;
            access = "access-" + n.ToString(CultureInfo.InvariantCulture);
            refresh = "refresh-" + n.ToString(CultureInfo.InvariantCulture);
            _accessToken = access; // only the newest token is valid
            _refreshToken = refresh;
        }

        await JsonAsync(context, 200, new JsonObject
        {
            ["scope"] = "default",
            ["tokenType"] = "Bearer",
            ["expiresIn"] = ExpiresIn,
            ["accessToken"] = access,
            ["refreshToken"] = refresh,
        });
    }

    private bool IsAuthorized(Dictionary<string, string> headers)
    {
        if (RejectAllTokens)
        {
            return false;
        }

        lock (_gate)
        {
            return _accessToken is not null
                && headers.TryGetValue("app_key", out var appKey) && appKey == AppId
                && headers.TryGetValue("Authorization", out var auth) && auth == "Bearer " + _accessToken;
        }
    }

    private async Task SubscribeAsync(HttpContext context, string body, bool management)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            json = null;
        }

        var notifyType = json?["notifyType"]?.GetValue<string>();
        var callbackUrl = json?["callbackUrl"]?.GetValue<string>();
        if (string.IsNullOrEmpty(notifyType) || string.IsNullOrEmpty(callbackUrl))
        {
            await ErrorAsync(context, 400, "100228", "Invalid input.");
            return;
        }

        if (management != UpgradeTypes.Contains(notifyType))
        {
            await ErrorAsync(context, 400, "100228", "notifyType is not served by this API.");
            return;
        }

        if (!Uri.TryCreate(callbackUrl, UriKind.Absolute, out var uri) || callbackUrl.Length > 1024
            || uri.Host.Contains("rejected", StringComparison.Ordinal))
        {
            await ErrorAsync(context, 400, "100222", "The callback url is illegal.");
            return;
        }

        FakeSubscription created;
        lock (_gate)
        {
            if (_subscriptions.Any(s => Uri.TryCreate(s.CallbackUrl, UriKind.Absolute, out var other)
                && (other.Host != uri.Host || other.Port != uri.Port)))
            {
                created = null!;
            }
            else if (management)
            {
                // Subscribing again replaces the callback URL and answers 200 as before.
                _subscriptions.RemoveAll(s => s.NotifyType == notifyType);
                created = new FakeSubscription(NextSubscriptionId(), notifyType, callbackUrl, "management");
                _subscriptions.Add(created);
            }
            else if (_subscriptions.Any(s => s.NotifyType == notifyType))
            {
                created = new FakeSubscription(string.Empty, notifyType, callbackUrl, "conflict");
            }
            else
            {
                created = new FakeSubscription(NextSubscriptionId(), notifyType, callbackUrl, "service");
                _subscriptions.Add(created);
            }
        }

        if (created is null)
        {
            await ErrorAsync(context, 400, "100222", "All subscriptions of an app must use the same host and port.");
        }
        else if (created.Api == "conflict")
        {
            await ErrorAsync(context, 409, "100227", "The resource is conflicted.");
        }
        else if (management)
        {
            context.Response.StatusCode = 200; // no body
        }
        else
        {
            await JsonAsync(context, 201, new JsonObject
            {
                ["subscriptionId"] = created.SubscriptionId,
                ["notifyType"] = created.NotifyType,
                ["callbackUrl"] = created.CallbackUrl,
            });
        }
    }

    private async Task ListAsync(HttpContext context)
    {
        var q = context.Request.Query;
        var notifyType = q["notifyType"].ToString();
        var pageNo = int.TryParse(q["pageNo"], CultureInfo.InvariantCulture, out var p) ? p : 0;
        var pageSize = int.TryParse(q["pageSize"], CultureInfo.InvariantCulture, out var z) ? z : 25;
        List<FakeSubscription> matching;
        lock (_gate)
        {
            matching = [.. _subscriptions.Where(s => notifyType.Length == 0 || s.NotifyType == notifyType)];
        }

        var page = new JsonArray([.. matching.Skip(pageNo * pageSize).Take(pageSize).Select(ToJson)]);
        await JsonAsync(context, 200, new JsonObject
        {
            ["totalCount"] = ReportedTotalCount ?? matching.Count,
            ["pageNo"] = pageNo,
            ["pageSize"] = pageSize,
            ["subscriptions"] = page,
        });
    }

    private async Task GetOneAsync(HttpContext context, string id)
    {
        FakeSubscription? found;
        lock (_gate)
        {
            found = _subscriptions.FirstOrDefault(s => s.SubscriptionId == id);
        }

        if (found is null)
        {
            await ErrorAsync(context, 404, "100418", "The subscription does not exist.");
            return;
        }

        await JsonAsync(context, 200, ToJson(found));
    }

    private async Task DeleteOneAsync(HttpContext context, string id)
    {
        bool removed;
        lock (_gate)
        {
            removed = _subscriptions.RemoveAll(s => s.SubscriptionId == id) > 0;
        }

        if (!removed)
        {
            await ErrorAsync(context, 404, "100418", "The subscription does not exist.");
            return;
        }

        context.Response.StatusCode = 204;
    }

    private void DeleteMatching(HttpContext context)
    {
        var q = context.Request.Query;
        var notifyType = q["notifyType"].ToString();
        var callbackUrl = q["callbackUrl"].ToString();
        lock (_gate)
        {
            _subscriptions.RemoveAll(s => (notifyType.Length == 0 || s.NotifyType == notifyType)
                && (callbackUrl.Length == 0 || s.CallbackUrl == callbackUrl));
        }

        context.Response.StatusCode = 204;
    }

    private static JsonObject ToJson(FakeSubscription s) => new()
    {
        ["subscriptionId"] = s.SubscriptionId,
        ["notifyType"] = s.NotifyType,
        ["callbackUrl"] = s.CallbackUrl,
        ["channel"] = "HTTP",
    };

    private static Task ErrorAsync(HttpContext context, int status, string? code, string description) =>
        JsonAsync(context, status, new JsonObject { ["error_code"] = code, ["error_desc"] = description });

    private static async Task JsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
