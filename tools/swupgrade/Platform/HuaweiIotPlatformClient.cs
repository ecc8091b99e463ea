using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace SwUpgrade.Cli.Platform;

/// <summary>
/// Client of the Huawei IoT platform's northbound API: login and token handling, and the subscription calls.
/// Plain HttpClient; no Functions types. Thread-safe: concurrent callers share one login.
/// </summary>
public sealed partial class HuaweiIotPlatformClient : IDisposable
{
    public const string LoginPath = "iocm/app/sec/v1.1.0/login";
    public const string RefreshTokenPath = "iocm/app/sec/v1.1.0/refreshToken";
    public const string ManagementSubscribePath = "iodm/app/sub/v1.1.0/subscribe";
    public const string SubscriptionsPath = "iocm/app/sub/v1.2.0/subscriptions";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly PlatformClientOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly PlatformTls? _tls;
    private readonly bool _ownsHttp;
    private readonly Uri _baseUrl;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private TokenState? _token;

    /// <summary>Creates a client with its own HTTP pipeline: TLS settings from the options and a back-off retry on throttling.</summary>
    public HuaweiIotPlatformClient(PlatformClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _baseUrl = ValidateOptions(options);
        _tls = new PlatformTls(options);
        var primary = _tls.CreateHandler();
        var resilience = new ResilienceHandler(CreateResiliencePipeline(options)) { InnerHandler = primary };
        _http = new HttpClient(resilience, disposeHandler: true) { Timeout = options.RequestTimeout };
        _ownsHttp = true;
    }

    /// <summary>
    /// Creates a client over an HttpClient whose handlers are set up elsewhere (IHttpClientFactory); see
    /// <see cref="PlatformServiceCollectionExtensions"/>.
    /// </summary>
    public HuaweiIotPlatformClient(HttpClient httpClient, PlatformClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _baseUrl = ValidateOptions(options);
        _http = httpClient;
        _ownsHttp = false;
    }

    /// <summary>The retry pipeline: back-off on throttling (1010009, 429) and brief unavailability (502-504).</summary>
    public static ResiliencePipeline<HttpResponseMessage> CreateResiliencePipeline(PlatformClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var retry = CreateRetryOptions(options);
        return new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(retry).Build();
    }

    internal static HttpRetryStrategyOptions CreateRetryOptions(PlatformClientOptions options) => new()
    {
        MaxRetryAttempts = Math.Max(1, options.MaxRetryAttempts),
        Delay = options.RetryBaseDelay,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        ShouldRetryAfterHeader = true,
        ShouldHandle = static async args =>
            args.Outcome.Result is { } response && await IsRetryableAsync(response, args.Context.CancellationToken).ConfigureAwait(false),
        OnRetry = args =>
        {
            options.Diagnostics?.Invoke(string.Create(
                CultureInfo.InvariantCulture,
                $"The platform answered {(int?)args.Outcome.Result?.StatusCode} (throttled or busy); retry {args.AttemptNumber + 1} of {options.MaxRetryAttempts} in {args.RetryDelay.TotalSeconds:0.###} s."));
            return default;
        },
    };

    private static async Task<bool> IsRetryableAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (status is 429 or 502 or 503 or 504)
        {
            return true;
        }

        if (response.IsSuccessStatusCode)
        {
            return false;
        }

        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return PlatformErrors.Parse(body).Code == PlatformErrors.Throttled;
    }

    private static Uri ValidateOptions(PlatformClientOptions options)
    {
        if (options.BaseUrl is null || !options.BaseUrl.IsAbsoluteUri)
        {
            throw new PlatformConfigurationException("The platform URL is missing: set SWUPGRADE_PLATFORM_URL or --platform-url, e.g. https://platform.example.com:8743.");
        }

        if (options.BaseUrl.Scheme != Uri.UriSchemeHttps)
        {
            throw new PlatformConfigurationException($"The platform URL '{options.BaseUrl}' must use https.");
        }

        if (string.IsNullOrWhiteSpace(options.AppId))
        {
            throw new PlatformConfigurationException("The application id is missing: set SWUPGRADE_APP_ID or --app-id.");
        }

        if (string.IsNullOrEmpty(options.Secret))
        {
            throw new PlatformConfigurationException("The application secret is missing: set SWUPGRADE_APP_SECRET.");
        }

        var text = options.BaseUrl.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    /// <summary>Subscribes one notify type. Idempotent: an existing identical subscription is success.</summary>
    public async Task<SubscribeResult> SubscribeAsync(string notifyType, string callbackUrl, bool allowHttpCallback = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notifyType);
        var url = CallbackUrl.Normalize(callbackUrl, allowHttpCallback);
        var management = NotifyTypes.IsManagementData(notifyType);
        var operation = $"Subscribing {notifyType}";
        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["notifyType"] = notifyType, ["callbackUrl"] = url }, Json);

        using var response = await SendAuthorizedAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Resolve(management ? ManagementSubscribePath : SubscriptionsPath))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            },
            operation,
            cancellationToken).ConfigureAwait(false);

        var api = management ? "management" : "service";
        if (management ? response.StatusCode == HttpStatusCode.OK : response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
        {
            string? id = null;
            if (!management)
            {
                var created = await ReadJsonAsync<Subscription>(response, cancellationToken).ConfigureAwait(false);
                id = created?.SubscriptionId;
            }

            return new SubscribeResult(notifyType, url, id, SubscribeOutcome.Subscribed, api);
        }

        var error = await ToExceptionAsync(response, operation, url, cancellationToken).ConfigureAwait(false);
        if (error is AlreadySubscribedException)
        {
            await foreach (var existing in ListAllSubscriptionsAsync(notifyType, cancellationToken).ConfigureAwait(false))
            {
                if (string.Equals(existing.NotifyType, notifyType, StringComparison.Ordinal)
                    && string.Equals(existing.CallbackUrl, url, StringComparison.Ordinal))
                {
                    return new SubscribeResult(notifyType, url, existing.SubscriptionId, SubscribeOutcome.AlreadySubscribed, api);
                }
            }
        }

        throw error;
    }

    /// <summary>One page of subscriptions (pageNo starts at 0).</summary>
    public async Task<SubscriptionPage> ListSubscriptionsAsync(string? notifyType, int pageNo, int pageSize, CancellationToken cancellationToken = default)
    {
        var query = Query(("appId", _options.AppId), ("notifyType", notifyType), ("pageNo", pageNo.ToString(CultureInfo.InvariantCulture)), ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture)));
        const string operation = "Listing subscriptions";
        using var response = await SendAuthorizedAsync(() => new HttpRequestMessage(HttpMethod.Get, Resolve(SubscriptionsPath + query)), operation, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw await ToExceptionAsync(response, operation, null, cancellationToken).ConfigureAwait(false);
        }

        return await ReadJsonAsync<SubscriptionPage>(response, cancellationToken).ConfigureAwait(false) ?? new SubscriptionPage();
    }

    /// <summary>All subscriptions, page after page.</summary>
    public async IAsyncEnumerable<Subscription> ListAllSubscriptionsAsync(string? notifyType, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var pageSize = Math.Clamp(_options.PageSize, 1, 1000);
        long seen = 0;
        for (var pageNo = 0; ; pageNo++)
        {
            var page = await ListSubscriptionsAsync(notifyType, pageNo, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var s in page.Subscriptions)
            {
                yield return s;
            }

            seen += page.Subscriptions.Count;
            if (page.Subscriptions.Count == 0 || page.Subscriptions.Count < pageSize || seen >= page.TotalCount)
            {
                yield break;
            }
        }
    }

    /// <summary>Deletes one subscription by id.</summary>
    public async Task DeleteSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriptionId);
        var path = SubscriptionsPath + "/" + Uri.EscapeDataString(subscriptionId) + Query(("appId", _options.AppId));
        var operation = $"Deleting subscription {subscriptionId}";
        using var response = await SendAuthorizedAsync(() => new HttpRequestMessage(HttpMethod.Delete, Resolve(path)), operation, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.OK))
        {
            throw await ToExceptionAsync(response, operation, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the subscriptions of a notify type, optionally only those to one callback URL (covers the upgrade types).</summary>
    public async Task DeleteSubscriptionsAsync(string notifyType, string? callbackUrl = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notifyType);
        var path = SubscriptionsPath + Query(("appId", _options.AppId), ("notifyType", notifyType), ("callbackUrl", callbackUrl));
        var operation = $"Deleting the {notifyType} subscriptions";
        using var response = await SendAuthorizedAsync(() => new HttpRequestMessage(HttpMethod.Delete, Resolve(path)), operation, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.OK))
        {
            throw await ToExceptionAsync(response, operation, callbackUrl, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A valid access token: cached, renewed shortly before expiry, single-flight across callers.</summary>
    public Task<string> GetAccessTokenAsync(CancellationToken cancellationToken = default) => GetAccessTokenAsync(null, cancellationToken);

    private async Task<string> GetAccessTokenAsync(string? rejectedToken, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _token);
        if (rejectedToken is null && current is not null && _time.GetUtcNow() < current.RenewAt)
        {
            return current.AccessToken;
        }

        await _tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _token;
            var now = _time.GetUtcNow();
            if (current is not null)
            {
                var stillGood = rejectedToken is null
                    ? now < current.RenewAt
                    : !string.Equals(current.AccessToken, rejectedToken, StringComparison.Ordinal); // another caller already renewed
                if (stillGood)
                {
                    return current.AccessToken;
                }
            }

            TokenState next;
            if (rejectedToken is null && current?.RefreshToken is not null && now < current.RefreshUntil)
            {
                try
                {
                    next = await RequestTokenAsync(refreshToken: current.RefreshToken, cancellationToken).ConfigureAwait(false);
                }
                catch (PlatformApiException e) when (e is not PlatformThrottledException)
                {
                    // The refresh token was refused (expired, superseded): log in afresh.
                    next = await RequestTokenAsync(refreshToken: null, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                next = await RequestTokenAsync(refreshToken: null, cancellationToken).ConfigureAwait(false);
            }

            Volatile.Write(ref _token, next);
            return next.AccessToken;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private async Task<TokenState> RequestTokenAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        HttpRequestMessage request;
        string operation;
        if (refreshToken is null)
        {
            operation = "Logging in to the platform";
            request = new HttpRequestMessage(HttpMethod.Post, Resolve(LoginPath))
            {
                Content = new FormUrlEncodedContent([new("appId", _options.AppId), new("secret", _options.Secret)]),
            };
        }
        else
        {
            operation = "Refreshing the platform access token";
            var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["appId"] = _options.AppId, ["secret"] = _options.Secret, ["refreshToken"] = refreshToken }, Json);
            request = new HttpRequestMessage(HttpMethod.Post, Resolve(RefreshTokenPath))
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            };
        }

        using (request)
        {
            using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw await ToExceptionAsync(response, operation, null, cancellationToken).ConfigureAwait(false);
            }

            var token = await ReadJsonAsync<TokenResponse>(response, cancellationToken).ConfigureAwait(false);
            if (token?.AccessToken is not { Length: > 0 } access)
            {
                throw new PlatformApiException((int)response.StatusCode, null, null, $"{operation} failed: the platform's answer has no accessToken.");
            }

            var now = _time.GetUtcNow();
            var lifetime = TimeSpan.FromSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 3600);
            var margin = _options.TokenRenewalMargin;
            if (margin > lifetime / 2)
            {
                margin = lifetime / 2;
            }

            return new TokenState(access, token.RefreshToken, now + lifetime - margin, now + _options.RefreshTokenLifetime - margin);
        }
    }

    private async Task<HttpResponseMessage> SendAuthorizedAsync(Func<HttpRequestMessage> build, string operation, CancellationToken cancellationToken)
    {
        var token = await GetAccessTokenAsync(null, cancellationToken).ConfigureAwait(false);
        var response = await SendWithTokenAsync(build, token, cancellationToken).ConfigureAwait(false);
        if (!await IsTokenRejectedAsync(response, cancellationToken).ConfigureAwait(false))
        {
            return response;
        }

        // The token was refused (expired early, or superseded by another login): log in once more and retry once.
        response.Dispose();
        _options.Diagnostics?.Invoke($"{operation}: the platform refused the access token; logging in again.");
        token = await GetAccessTokenAsync(token, cancellationToken).ConfigureAwait(false);
        return await SendWithTokenAsync(build, token, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendWithTokenAsync(Func<HttpRequestMessage> build, string token, CancellationToken cancellationToken)
    {
        using var request = build();
        request.Headers.TryAddWithoutValidation("app_key", _options.AppId);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> IsTokenRejectedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return false;
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return true;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return PlatformErrors.Parse(body).Code == PlatformErrors.InvalidToken;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (IsTlsFailure(e))
        {
            var reason = _tls?.LastFailure ?? e.InnerException?.Message ?? e.Message;
            throw new PlatformTlsException($"The TLS connection to {_baseUrl.Authority} failed: {reason}.", e);
        }
        catch (HttpRequestException e) when (_tls is { HasClientCertificate: false, ClientCertificateRequested: true })
        {
            throw new PlatformTlsException($"The platform at {_baseUrl.Authority} asked for a client certificate and closed the connection without one ({Innermost(e)}): pass the PKCS#12 file with --client-cert or SWUPGRADE_CLIENT_CERT_FILE.", e);
        }
        catch (HttpRequestException e)
        {
            throw new PlatformUnreachableException($"The platform at {_baseUrl.Authority} could not be reached: {Innermost(e)}. Check SWUPGRADE_PLATFORM_URL and the network.", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PlatformUnreachableException($"The platform at {_baseUrl.Authority} did not answer within {_options.RequestTimeout.TotalSeconds:0} s.", e);
        }
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message.TrimEnd('.');
    }

    private static bool IsTlsFailure(HttpRequestException e)
    {
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            return true;
        }

        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<PlatformApiException> ToExceptionAsync(HttpResponseMessage response, string operation, string? callbackUrl, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var (code, description) = PlatformErrors.Parse(body);
        return PlatformErrors.ToException((int)response.StatusCode, code, description, operation, callbackUrl);
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new PlatformApiException((int)response.StatusCode, null, null, $"The platform's answer could not be read as JSON: {e.Message}");
        }
    }

    private Uri Resolve(string relative) => new(_baseUrl, relative);

    private static string Query(params (string Name, string? Value)[] values)
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in values)
        {
            if (value is null)
            {
                continue;
            }

            sb.Append(sb.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        return sb.ToString();
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _tls?.Dispose();
        _tokenGate.Dispose();
    }

    private sealed record TokenState(string AccessToken, string? RefreshToken, DateTimeOffset RenewAt, DateTimeOffset RefreshUntil);
}
