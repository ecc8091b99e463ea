using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SwUpgradeFunc.Platform;

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
    private bool _answered;

    /// <summary>Creates a client with its own HTTP pipeline: TLS settings from the options, a timeout per attempt.</summary>
    public HuaweiIotPlatformClient(PlatformClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _baseUrl = ValidateOptions(options);
        _tls = new PlatformTls(options);
        _http = new HttpClient(_tls.CreateHandler(), disposeHandler: true) { Timeout = options.RequestTimeout };
        _ownsHttp = true;
    }

    /// <summary>
    /// Creates a client over an HttpClient whose handlers are set up elsewhere (IHttpClientFactory); see
    /// <see cref="PlatformServiceCollectionExtensions"/>. The HttpClient's timeout applies to each attempt: the back-off
    /// between attempts happens here, outside it.
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

    /// <summary>Whether an answer is throttling (1010009, 429) or brief unavailability (502-504), worth another try.</summary>
    internal static async Task<bool> IsRetryableAsync(HttpResponseMessage response, CancellationToken ct)
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
            throw new PlatformConfigurationException("The platform URL is missing; it is the northbound base URL, e.g. https://platform.example.com:8743.")
            {
                Fix = PlatformFix.PlatformUrl,
            };
        }

        if (options.BaseUrl.Scheme != Uri.UriSchemeHttps)
        {
            throw new PlatformConfigurationException($"The platform URL '{options.BaseUrl}' must use https.")
            {
                Fix = PlatformFix.PlatformUrl,
            };
        }

        if (string.IsNullOrWhiteSpace(options.AppId))
        {
            throw new PlatformConfigurationException("The application id is missing.")
            {
                Fix = PlatformFix.AppId,
            };
        }

        if (string.IsNullOrEmpty(options.Secret))
        {
            throw new PlatformConfigurationException("The application secret is missing.")
            {
                Fix = PlatformFix.AppSecret,
            };
        }

        var text = options.BaseUrl.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    /// <summary>Subscribes one notify type. Idempotent: an existing identical subscription is success.</summary>
    public async Task<SubscribeResult> SubscribeAsync(string notifyType, string callbackUrl, bool allowHttpCallback = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notifyType);
        var url = CallbackUrl.Normalize(callbackUrl, allowHttpCallback);
        var management = NotifyTypes.IsUpgrade(notifyType);
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
        if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
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
        if (error is AlreadySubscribedException conflict)
        {
            var holders = new List<string>();
            await foreach (var existing in ListAllSubscriptionsAsync(notifyType, cancellationToken).ConfigureAwait(false))
            {
                if (!string.Equals(existing.NotifyType, notifyType, StringComparison.Ordinal))
                {
                    continue;
                }

                if (CallbackUrl.SameUrl(existing.CallbackUrl, url))
                {
                    return new SubscribeResult(notifyType, url, existing.SubscriptionId, SubscribeOutcome.AlreadySubscribed, api);
                }

                if (existing.CallbackUrl is { Length: > 0 } other && !holders.Contains(other, StringComparer.Ordinal))
                {
                    holders.Add(other);
                }
            }

            throw PlatformErrors.AlreadySubscribedElsewhere(conflict, operation, notifyType, url, holders);
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

    /// <summary>
    /// Deletes the subscriptions of a notify type, optionally only those to one callback URL (covers the upgrade types),
    /// and returns how many of the listed ones are gone. The URL is compared as <see cref="CallbackUrl.Normalize"/> writes
    /// it, so <c>https://host/path</c> matches the <c>https://host:443/path</c> that subscribing stored; each stored spelling
    /// that matches is sent, since the platform compares the text.
    /// </summary>
    public async Task<DeleteResult> DeleteSubscriptionsAsync(string notifyType, string? callbackUrl = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notifyType);
        var normalized = callbackUrl is null ? null : CallbackUrl.Normalize(callbackUrl, allowHttp: true);
        var before = await ListMatchingAsync(notifyType, normalized, cancellationToken).ConfigureAwait(false);
        var urls = normalized is null
            ? new List<string?> { null }
            : [normalized, .. before.Select(s => s.CallbackUrl).Where(u => u is not null && !string.Equals(u, normalized, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)];
        var operation = $"Deleting the {notifyType} subscriptions";
        foreach (var url in urls)
        {
            var path = SubscriptionsPath + Query(("appId", _options.AppId), ("notifyType", notifyType), ("callbackUrl", url));
            using var response = await SendAuthorizedAsync(() => new HttpRequestMessage(HttpMethod.Delete, Resolve(path)), operation, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.OK))
            {
                throw await ToExceptionAsync(response, operation, url, cancellationToken).ConfigureAwait(false);
            }
        }

        var after = await ListMatchingAsync(notifyType, normalized, cancellationToken).ConfigureAwait(false);
        var removed = before.Count(b => !after.Any(a => string.Equals(a.SubscriptionId, b.SubscriptionId, StringComparison.Ordinal)));
        return new DeleteResult(notifyType, normalized, removed, after.Count);
    }

    private async Task<List<Subscription>> ListMatchingAsync(string notifyType, string? normalizedUrl, CancellationToken cancellationToken)
    {
        var matching = new List<Subscription>();
        await foreach (var s in ListAllSubscriptionsAsync(notifyType, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(s.NotifyType, notifyType, StringComparison.Ordinal)
                && (normalizedUrl is null || CallbackUrl.SameUrl(s.CallbackUrl, normalizedUrl)))
            {
                matching.Add(s);
            }
        }

        return matching;
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
        string operation;
        Func<HttpRequestMessage> build;
        if (refreshToken is null)
        {
            operation = "Logging in to the platform";
            build = () => new HttpRequestMessage(HttpMethod.Post, Resolve(LoginPath))
            {
                Content = new FormUrlEncodedContent([new("appId", _options.AppId), new("secret", _options.Secret)]),
            };
        }
        else
        {
            operation = "Refreshing the platform access token";
            var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["appId"] = _options.AppId, ["secret"] = _options.Secret, ["refreshToken"] = refreshToken }, Json);
            build = () => new HttpRequestMessage(HttpMethod.Post, Resolve(RefreshTokenPath))
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            };
        }

        using var response = await SendWithRetriesAsync(
            async ct =>
            {
                using var request = build();
                return await SendAsync(request, ct).ConfigureAwait(false);
            },
            operation,
            cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Sends with the current token; when the token is refused, logs in once more and sends once more. Throttled or
    /// briefly unavailable answers are retried after a back-off, each retry taking the token that is current then
    /// (the back-off may outlast the token, or another caller may have logged in meanwhile).
    /// </summary>
    private Task<HttpResponseMessage> SendAuthorizedAsync(Func<HttpRequestMessage> build, string operation, CancellationToken cancellationToken) =>
        SendWithRetriesAsync(
            async ct =>
            {
                var token = await GetAccessTokenAsync(null, ct).ConfigureAwait(false);
                var response = await SendWithTokenAsync(build, token, ct).ConfigureAwait(false);
                if (!await IsTokenRejectedAsync(response, ct).ConfigureAwait(false))
                {
                    return response;
                }

                // The token was refused (expired early, or superseded by another login): log in once more and retry once.
                response.Dispose();
                _options.Diagnostics?.Invoke($"{operation}: the platform refused the access token; logging in again.");
                token = await GetAccessTokenAsync(token, ct).ConfigureAwait(false);
                return await SendWithTokenAsync(build, token, ct).ConfigureAwait(false);
            },
            operation,
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="attempt"/> until its answer is neither throttling nor brief unavailability, at most
    /// 1 + <see cref="PlatformClientOptions.MaxRetryAttempts"/> times. The request timeout applies to each attempt
    /// (the HttpClient's), never to the back-off between them. When the tries run out, a throttled answer becomes
    /// <see cref="PlatformThrottledException"/>; another answer is returned for the caller to report.
    /// </summary>
    private async Task<HttpResponseMessage> SendWithRetriesAsync(Func<CancellationToken, Task<HttpResponseMessage>> attempt, string operation, CancellationToken cancellationToken)
    {
        var retries = Math.Max(0, _options.MaxRetryAttempts);
        var started = _time.GetTimestamp();
        for (var tries = 1; ; tries++)
        {
            var response = await attempt(cancellationToken).ConfigureAwait(false);
            if (!await IsRetryableAsync(response, cancellationToken).ConfigureAwait(false))
            {
                return response;
            }

            if (tries > retries)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                var (code, description) = PlatformErrors.Parse(body);
                if (code == PlatformErrors.Throttled || response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    var status = (int)response.StatusCode;
                    response.Dispose();
                    throw PlatformErrors.StillThrottled(status, code, description, operation, tries, _time.GetElapsedTime(started));
                }

                return response;
            }

            var delay = RetryBackoff.Delay(tries, _options, RetryBackoff.RetryAfter(response, _time.GetUtcNow()), Random.Shared.NextDouble());
            _options.Diagnostics?.Invoke(string.Create(
                CultureInfo.InvariantCulture,
                $"{operation}: the platform answered {(int)response.StatusCode} ({(response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode == 403 ? "throttled" : "busy")}); retry {tries} of {retries} in {delay.TotalSeconds:0.#} s."));
            response.Dispose();
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
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
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _answered, true);
            return response;
        }
        catch (HttpRequestException e) when (IsTlsFailure(e))
        {
            var failure = _tls?.LastFailure;
            throw new PlatformTlsException($"The TLS connection to {_baseUrl.Authority} failed: {failure?.Reason ?? Innermost(e)}.", e)
            {
                Fix = failure?.Fix,
            };
        }
        catch (HttpRequestException e) when (_tls is { HasClientCertificate: false, ClientCertificateRequested: true })
        {
            throw new PlatformTlsException($"The platform at {_baseUrl.Authority} asked for a client certificate and closed the connection without one ({Innermost(e)}).", e)
            {
                Fix = PlatformFix.ClientCertificate,
            };
        }
        catch (HttpRequestException e) when (_tls is { HasClientCertificate: true, ClientCertificateOffered: true } && !Volatile.Read(ref _answered))
        {
            // The server asked for a certificate, got ours, and hung up before any answer: with TLS 1.3 that is how a
            // refused client certificate shows (the refusal comes after the client's side of the handshake is done).
            throw new PlatformTlsException($"The platform at {_baseUrl.Authority} refused the client certificate '{_tls.ClientCertificateSubject}' from {_options.ClientCertificateFile}: it closed the connection after the certificate was presented ({Innermost(e)}). Check that the platform trusts the certificate's issuer and that the certificate is still valid.", e);
        }
        catch (HttpRequestException e)
        {
            throw new PlatformUnreachableException($"The platform at {_baseUrl.Authority} could not be reached: {Innermost(e)}.", e)
            {
                Fix = PlatformFix.PlatformUrl,
            };
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PlatformUnreachableException(string.Create(CultureInfo.InvariantCulture, $"The platform at {_baseUrl.Authority} did not answer one request within {_options.RequestTimeout.TotalSeconds:0.#} s."), e);
        }
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return DotNetStatusName().Replace(e.Message, string.Empty).TrimEnd('.', ' ');
    }

    /// <summary>The status name .NET appends to some messages, e.g. " (ResponseEnded)"; the words before it say the same.</summary>
    [GeneratedRegex(@"\.?\s*\([A-Z][A-Za-z]+\)\.?$")]
    private static partial Regex DotNetStatusName();

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
