using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

public sealed class HuaweiIotPlatformClientTests : PlatformTests
{
    private const string Callback = "https://swupgrade.example.net:443/v1.0.0/messageReceiver";

    [Fact]
    public async Task Login_PostsFormEncodedCredentials_ThenSendsAppKeyAndBearerToken()
    {
        using var client = Ctx.Client();

        await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback);

        var login = Assert.Single(Fake.RequestsTo(LoginPath));
        Assert.Equal("POST", login.Method);
        Assert.StartsWith("application/x-www-form-urlencoded", login.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal($"appId={FakeHuaweiPlatform.DefaultAppId}&secret={FakeHuaweiPlatform.DefaultSecret}", login.Body);

        var subscribe = Assert.Single(Fake.RequestsTo(ManagementSubscribePath));
        Assert.Equal(FakeHuaweiPlatform.DefaultAppId, subscribe.Header("app_key"));
        Assert.Equal("Bearer " + Fake.CurrentAccessToken, subscribe.Header("Authorization"));
    }

    [Fact]
    public async Task Subscribe_ReusesToken_AcrossCalls()
    {
        using var client = Ctx.Client();

        await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback);
        await client.SubscribeAsync(NotifyTypes.SwUpgradeResult, Callback);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(1, Fake.LoginCount);
        Assert.Single(Fake.RequestsTo(LoginPath));
        Assert.Empty(Fake.RequestsTo(RefreshPath));
    }

    [Fact]
    public async Task ConcurrentCalls_ShareOneLogin()
    {
        Fake.LoginDelay = TimeSpan.FromMilliseconds(300);
        using var client = Ctx.Client();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => client.ListSubscriptionsAsync(null, 0, 10))));

        Assert.Equal(1, Fake.LoginCount);
        Assert.Equal(1, Fake.MaxConcurrentLogins);
        Assert.Equal(16, Fake.RequestsTo(SubscriptionsPath).Count);
        Assert.All(Fake.RequestsTo(SubscriptionsPath), r => Assert.Equal("Bearer access-1", r.Header("Authorization")));
    }

    [Fact]
    public async Task RejectedToken_LeadsToOneReLogin_AndTheCallSucceeds()
    {
        using var client = Ctx.Client();
        await client.ListSubscriptionsAsync(null, 0, 10);

        Fake.InvalidateTokens(); // e.g. another client logged in with the same application
        await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback);

        Assert.Equal(2, Fake.LoginCount);
        var attempts = Fake.RequestsTo(ManagementSubscribePath);
        Assert.Equal(2, attempts.Count);
        Assert.Equal("Bearer access-1", attempts[0].Header("Authorization"));
        Assert.Equal("Bearer access-2", attempts[1].Header("Authorization"));
    }

    [Fact]
    public async Task Unauthorized_AnswersAfterReLogin_FailWithAuthenticationError_WithoutLooping()
    {
        Fake.RejectAllTokens = true;
        using var client = Ctx.Client();

        var e = await Assert.ThrowsAsync<PlatformAuthenticationException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal(401, e.HttpStatus);
        Assert.Equal("1010005", e.ErrorCode);
        Assert.Equal(2, Fake.LoginCount);
        Assert.Equal(2, Fake.RequestsTo(SubscriptionsPath).Count);
    }

    [Fact]
    public async Task Throttled_CallIsRetriedWithBackOff_ThenSucceeds()
    {
        var notes = new List<string>();
        using var client = Ctx.Client(o => o.Diagnostics = notes.Add);
        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.Throttle(ManagementSubscribePath, 3);

        var result = await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback);

        Assert.Equal(SubscribeOutcome.Subscribed, result.Outcome);
        Assert.Equal(4, Fake.RequestsTo(ManagementSubscribePath).Count);
        Assert.Equal(3, notes.Count(n => n.Contains("retry", StringComparison.Ordinal)));
        Assert.Equal(1, Fake.LoginCount);
    }

    [Fact]
    public async Task Throttled_BeyondTheRetries_ThrowsThrottledException()
    {
        using var client = Ctx.Client(o => o.MaxRetryAttempts = 2);
        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.Throttle(SubscriptionsPath, 5);

        var e = await Assert.ThrowsAsync<PlatformThrottledException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal(403, e.HttpStatus);
        Assert.Equal("1010009", e.ErrorCode);
        Assert.Contains("100 application calls per minute", e.Message, StringComparison.Ordinal);
        Assert.Equal(1 + 3, Fake.RequestsTo(SubscriptionsPath).Count);
    }

    [Fact]
    public async Task Subscribe_UpgradeType_UsesManagementApi_WithExactJsonBody()
    {
        using var client = Ctx.Client();

        var result = await client.SubscribeAsync(NotifyTypes.FwUpgradeResult, "https://swupgrade.example.net/api/push");

        var request = Assert.Single(Fake.RequestsTo(ManagementSubscribePath));
        Assert.Equal("POST", request.Method);
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("{\"notifyType\":\"fwUpgradeResultNotify\",\"callbackUrl\":\"https://swupgrade.example.net:443/api/push\"}", request.Body);
        Assert.Equal(SubscribeOutcome.Subscribed, result.Outcome);
        Assert.Equal("management", result.Api);
        Assert.Null(result.SubscriptionId);
        Assert.Empty(Fake.RequestsTo(SubscriptionsPath));
    }

    [Fact]
    public async Task Subscribe_ServiceDataType_UsesServiceApi_AndReturnsSubscriptionId()
    {
        using var client = Ctx.Client();

        var result = await client.SubscribeAsync("deviceAdded", Callback);

        var request = Assert.Single(Fake.RequestsTo(SubscriptionsPath));
        Assert.Equal("POST", request.Method);
        Assert.Equal("{\"notifyType\":\"deviceAdded\",\"callbackUrl\":\"https://swupgrade.example.net:443/v1.0.0/messageReceiver\"}", request.Body);
        Assert.Equal("service", result.Api);
        Assert.Equal(Fake.Subscriptions.Single().SubscriptionId, result.SubscriptionId);
    }

    [Fact]
    public async Task Subscribe_IsIdempotent_ForBothApis()
    {
        using var client = Ctx.Client();

        var first = await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback);
        var again = await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback);
        var service = await client.SubscribeAsync("deviceDeleted", Callback);
        var serviceAgain = await client.SubscribeAsync("deviceDeleted", Callback);

        Assert.Equal(SubscribeOutcome.Subscribed, first.Outcome);
        Assert.Equal(SubscribeOutcome.Subscribed, again.Outcome);
        Assert.Equal(SubscribeOutcome.Subscribed, service.Outcome);
        Assert.Equal(SubscribeOutcome.AlreadySubscribed, serviceAgain.Outcome);
        Assert.Equal(service.SubscriptionId, serviceAgain.SubscriptionId);
        Assert.Equal(2, Fake.Subscriptions.Count);
    }

    [Fact]
    public async Task Subscribe_ServiceTypeSubscribedToAnotherUrl_ThrowsAlreadySubscribed()
    {
        Fake.AddSubscription("deviceAdded", "https://swupgrade.example.net:443/old");
        using var client = Ctx.Client();

        var e = await Assert.ThrowsAsync<AlreadySubscribedException>(() => client.SubscribeAsync("deviceAdded", Callback));

        Assert.Equal(409, e.HttpStatus);
        Assert.Equal("100227", e.ErrorCode);
        Assert.Equal((PlatformFix.ExistingSubscription, "deviceAdded"), (e.Fix, e.NotifyType));
        Assert.Equal(["https://swupgrade.example.net:443/old"], e.Holders);
        Assert.Contains("delete the old one", CliAdvice.Describe(e), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_RejectedCallbackUrl_ThrowsWithAdvice()
    {
        using var client = Ctx.Client();

        var e = await Assert.ThrowsAsync<CallbackUrlRejectedException>(
            () => client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, "https://rejected.example.net:443/push"));

        Assert.Equal(400, e.HttpStatus);
        Assert.Equal("100222", e.ErrorCode);
        Assert.Contains("https://rejected.example.net:443/push", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400, "100228", typeof(PlatformApiException))]
    [InlineData(403, "100203", typeof(PlatformAuthenticationException))]
    [InlineData(403, "100217", typeof(PlatformAuthenticationException))]
    [InlineData(500, "50252", typeof(PlatformApiException))]
    public async Task PlatformErrors_BecomeTypedExceptions_CarryingStatusAndCode(int status, string code, Type expected)
    {
        using var client = Ctx.Client();
        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.EnqueueFailure(ManagementSubscribePath, status, code, "described");

        var e = await Assert.ThrowsAnyAsync<PlatformApiException>(() => client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback));

        Assert.IsType(expected, e);
        Assert.Equal(status, e.HttpStatus);
        Assert.Equal(code, e.ErrorCode);
        Assert.Equal("described", e.ErrorDescription);
        Assert.Contains(code, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSecret_ThrowsAuthenticationError_ThatNamesTheSettings_NotTheSecret()
    {
        const string secret = "Wr0ng-S3cret-Value";
        using var client = Ctx.Client(o => o.Secret = secret);

        var e = await Assert.ThrowsAsync<PlatformAuthenticationException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal(401, e.HttpStatus);
        Assert.Equal("100208", e.ErrorCode);
        Assert.Equal(PlatformFix.AppIdAndSecret, e.Fix);
        Assert.Contains("SWUPGRADE_APP_SECRET", CliAdvice.Describe(e), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, CliAdvice.Describe(e), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAll_FollowsThePages()
    {
        for (var i = 0; i < 5; i++)
        {
            Fake.AddSubscription(NotifyTypes.All[i], Callback);
        }

        using var client = Ctx.Client(o => o.PageSize = 2);
        var all = new List<Subscription>();
        await foreach (var s in client.ListAllSubscriptionsAsync(null))
        {
            all.Add(s);
        }

        Assert.Equal(5, all.Count);
        var pages = Fake.RequestsTo(SubscriptionsPath);
        Assert.Equal(
            ["?appId=fake-app-id&pageNo=0&pageSize=2", "?appId=fake-app-id&pageNo=1&pageSize=2", "?appId=fake-app-id&pageNo=2&pageSize=2"],
            pages.Select(p => p.QueryString));
        Assert.All(pages, p => Assert.Equal("GET", p.Method));
    }

    [Fact]
    public async Task DeleteByNotifyTypeAndCallbackUrl_EncodesTheQueryValues()
    {
        const string url = "https://swupgrade.example.net:443/api/push?code=a+b&x=1";
        Fake.AddSubscription(NotifyTypes.SwUpgradeStateChange, url);
        Fake.AddSubscription(NotifyTypes.SwUpgradeResult, url);
        using var client = Ctx.Client();

        var result = await client.DeleteSubscriptionsAsync(NotifyTypes.SwUpgradeStateChange, url);

        Assert.Equal(1, result.Removed);
        var request = Assert.Single(Fake.RequestsTo(SubscriptionsPath), r => r.Method == "DELETE");
        Assert.Equal(
            "?appId=fake-app-id&notifyType=swUpgradeStateChangeNotify&callbackUrl=https%3A%2F%2Fswupgrade.example.net%3A443%2Fapi%2Fpush%3Fcode%3Da%2Bb%26x%3D1",
            request.QueryString);
        Assert.Equal(NotifyTypes.SwUpgradeResult, Assert.Single(Fake.Subscriptions).NotifyType);
    }

    [Fact]
    public async Task DeleteById_SendsDelete_AndUnknownIdIsNotFound()
    {
        var s = Fake.AddSubscription("deviceAdded", Callback);
        using var client = Ctx.Client();

        await client.DeleteSubscriptionAsync(s.SubscriptionId);
        var e = await Assert.ThrowsAsync<PlatformApiException>(() => client.DeleteSubscriptionAsync(s.SubscriptionId));

        var requests = Fake.RequestsTo(SubscriptionsPath + "/" + s.SubscriptionId);
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal("DELETE", r.Method));
        Assert.Equal("?appId=fake-app-id", requests[0].QueryString);
        Assert.Equal(404, e.HttpStatus);
        Assert.Empty(Fake.Subscriptions);
    }

    [Fact]
    public async Task UntrustedServerCertificate_FailsWithClearTlsError()
    {
        using var client = Ctx.Client(o => o.CaFile = null);

        var e = await Assert.ThrowsAsync<PlatformTlsException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Contains("not trusted by this machine", e.Message, StringComparison.Ordinal);
        Assert.Equal(PlatformFix.CaFile, e.Fix);
        Assert.Contains("--ca-file", CliAdvice.Describe(e), StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task ServerCertificateFromAnotherCa_FailsWithClearTlsError()
    {
        using var otherCa = TestCertificateAuthority.Create("Some other CA");
        using var client = Ctx.Client(o => o.CaFile = otherCa.CaFile);

        var e = await Assert.ThrowsAsync<PlatformTlsException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Contains("not trusted by the configured CA file: its chain does not lead to a certificate in the CA file.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PartialChain", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("..", e.Message, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task PlatformUrl_WithAPathAndNoTrailingSlash_KeepsThePath_ForEveryCall()
    {
        using var client = Ctx.Client(o => o.BaseUrl = new Uri(Fake.BaseUrl, "gateway"));

        await Assert.ThrowsAnyAsync<PlatformApiException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal("/gateway" + LoginPath, Assert.Single(Fake.Requests).Path);
    }

    [Fact]
    public void Constructors_RefuseMissingArguments_NamingThem()
    {
        using var http = new HttpClient();

        Assert.Throws<ArgumentNullException>("options", () => new HuaweiIotPlatformClient(null!));
        Assert.Throws<ArgumentNullException>("httpClient", () => new HuaweiIotPlatformClient(null!, Ctx.Options()));
        Assert.Throws<ArgumentNullException>("options", () => new HuaweiIotPlatformClient(http, null!));
    }

    [Fact]
    public async Task Dispose_LeavesAnHttpClientItWasGiven_Usable()
    {
        var options = Ctx.Options();
        using var tls = new PlatformTls(options);
        using var http = new HttpClient(tls.CreateHandler());
        using (var first = new HuaweiIotPlatformClient(http, options))
        {
            await first.ListSubscriptionsAsync(null, 0, 10);
        }

        using var second = new HuaweiIotPlatformClient(http, options);
        await second.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(2, Fake.LoginCount);
    }

    [Fact]
    public async Task DisposedClient_RefusesFurtherCalls_WithoutSendingThem()
    {
        var client = Ctx.Client();
        await client.ListSubscriptionsAsync(null, 0, 10);
        client.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Single(Fake.RequestsTo(SubscriptionsPath));
    }

    [Theory]
    [InlineData("subscribe")]
    [InlineData("delete by id")]
    [InlineData("delete by notify type")]
    [InlineData("read task")]
    [InlineData("list sub-tasks")]
    [InlineData("negative page number")]
    [InlineData("page size 0")]
    [InlineData("page size 101")]
    public async Task Calls_WithABlankIdentifierOrAPageOutOfRange_AreRefused_BeforeAnythingIsSent(string call)
    {
        using var client = Ctx.Client();
        Func<Task> act = call switch
        {
            "subscribe" => () => client.SubscribeAsync(" ", Callback),
            "delete by id" => () => client.DeleteSubscriptionAsync(" "),
            "delete by notify type" => () => client.DeleteSubscriptionsAsync(" "),
            "read task" => () => client.GetOperationAsync(" "),
            "list sub-tasks" => () => client.ListSubOperationsAsync(" ", null, 0, 10),
            "negative page number" => () => client.ListSubOperationsAsync("op-1", null, -1, 10),
            "page size 0" => () => client.ListSubOperationsAsync("op-1", null, 0, 0),
            "page size 101" => () => client.ListSubOperationsAsync("op-1", null, 0, 101),
            _ => throw new ArgumentOutOfRangeException(nameof(call)),
        };

        await Assert.ThrowsAnyAsync<ArgumentException>(act);

        Assert.Empty(Fake.Requests);
    }

    [Theory]
    [InlineData("subscribe", "POST /iodm/app/sub/v1.1.0/subscribe", "Subscribing swUpgradeStateChangeNotify failed (")]
    [InlineData("delete by id", "DELETE /iocm/app/sub/v1.2.0/subscriptions/sub-9", "Deleting subscription sub-9 failed (")]
    [InlineData("delete by notify type", "DELETE /iocm/app/sub/v1.2.0/subscriptions", "Deleting the swUpgradeStateChangeNotify subscriptions failed (")]
    [InlineData("read task", "GET /iodm/northbound/v1.5.0/operations/op-9", "Reading upgrade task op-9 failed (")]
    [InlineData("log in", "POST /iocm/app/sec/v1.1.0/login", "Logging in to the platform failed (")]
    public async Task AFailedCall_SaysWhatItWasDoing(string call, string failingRequest, string expected)
    {
        using var client = Ctx.Client();
        Fake.EnqueueFailure(failingRequest, 500, "50000", "internal error");
        Func<Task> act = call switch
        {
            "subscribe" => () => client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback),
            "delete by id" => () => client.DeleteSubscriptionAsync("sub-9"),
            "delete by notify type" => () => client.DeleteSubscriptionsAsync(NotifyTypes.SwUpgradeStateChange),
            "read task" => () => client.GetOperationAsync("op-9"),
            "log in" => () => client.ListSubscriptionsAsync(null, 0, 10),
            _ => throw new ArgumentOutOfRangeException(nameof(call)),
        };

        var e = await Assert.ThrowsAsync<PlatformApiException>(act);

        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(500, e.HttpStatus);
    }

    [Fact]
    public async Task ALoginAnswerWithoutAnAccessToken_IsAnError_SayingSo()
    {
        using var client = Ctx.Client();
        Fake.EnqueueFailure("/login", 200, "0", "no token here"); // a 200 whose body carries no accessToken

        var e = await Assert.ThrowsAsync<PlatformApiException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal("Logging in to the platform failed: the platform's answer has no accessToken.", e.Message);
        Assert.Empty(Fake.RequestsTo(SubscriptionsPath));
    }

    [Theory]
    [InlineData(4, null)] // the total reached with a full page: no request for an empty page
    [InlineData(3, 10)] // a short page ends the list, even when the total says there are more
    public async Task ListAll_StopsAtTheTotalOrAShortPage_WithoutAskingForMore(int subscriptions, int? reportedTotal)
    {
        for (var i = 0; i < subscriptions; i++)
        {
            Fake.AddSubscription(NotifyTypes.All[i], Callback);
        }

        Fake.ReportedTotalCount = reportedTotal;
        using var client = Ctx.Client(o => o.PageSize = 2);
        var all = await ToListAsync(client.ListAllSubscriptionsAsync(null));

        Assert.Equal((subscriptions, 2), (all.Count, Fake.RequestsTo(SubscriptionsPath).Count));
    }

    [Fact]
    public async Task DeleteSubscriptions_OfANotifyType_SendsOneRequest_ForEveryCallbackUrl()
    {
        Fake.AddSubscription(NotifyTypes.SwUpgradeStateChange, Callback);
        Fake.AddSubscription(NotifyTypes.SwUpgradeStateChange, "https://other.example.net:443/push");
        Fake.AddSubscription(NotifyTypes.SwUpgradeResult, Callback);
        using var client = Ctx.Client();

        var result = await client.DeleteSubscriptionsAsync(NotifyTypes.SwUpgradeStateChange);

        Assert.Equal((2, 0), (result.Removed, result.Remaining));
        var request = Assert.Single(Fake.RequestsTo(SubscriptionsPath), r => r.Method == "DELETE");
        Assert.Equal("?appId=fake-app-id&notifyType=swUpgradeStateChangeNotify", request.QueryString);
        Assert.Equal(NotifyTypes.SwUpgradeResult, Assert.Single(Fake.Subscriptions).NotifyType);
    }

    [Fact]
    public async Task DeleteSubscriptions_SendsTheUrlAsStored_WhenTheStoredSpellingDiffers()
    {
        const string stored = "https://swupgrade.example.net/v1.0.0/messageReceiver"; // no port: subscribed by another tool
        Fake.AddSubscription(NotifyTypes.SwUpgradeStateChange, stored);
        using var client = Ctx.Client();

        var result = await client.DeleteSubscriptionsAsync(NotifyTypes.SwUpgradeStateChange, stored);

        Assert.Equal((1, 0), (result.Removed, result.Remaining));
        Assert.Equal(2, Fake.RequestsTo(SubscriptionsPath).Count(r => r.Method == "DELETE"));
        Assert.Empty(Fake.Subscriptions);
    }

    [Fact]
    public async Task DeleteSubscriptions_OfAPlainHttpCallbackUrl_IsAllowed()
    {
        const string url = "http://swupgrade.example.net:8080/v1.0.0/messageReceiver";
        Fake.AddSubscription(NotifyTypes.SwUpgradeStateChange, url);
        using var client = Ctx.Client();

        var result = await client.DeleteSubscriptionsAsync(NotifyTypes.SwUpgradeStateChange, url);

        Assert.Equal(1, result.Removed);
        Assert.Empty(Fake.Subscriptions);
    }

    private static async Task<List<Subscription>> ToListAsync(IAsyncEnumerable<Subscription> subscriptions)
    {
        var all = new List<Subscription>();
        await foreach (var s in subscriptions)
        {
            all.Add(s);
        }

        return all;
    }
}
