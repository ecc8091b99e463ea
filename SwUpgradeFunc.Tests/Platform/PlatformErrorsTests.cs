using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// Each platform error becomes the exception type the CLI maps to an exit code, in neutral words with a hint of what to fix,
/// which the CLI turns into advice an operator can act on.
/// </summary>
public sealed class PlatformErrorsTests
{
    [Theory]
    [InlineData(401, "100208", typeof(PlatformAuthenticationException), "The platform rejected the appId or secret.", PlatformFix.AppIdAndSecret)]
    [InlineData(403, "100247", typeof(PlatformAuthenticationException), "The application is frozen on the platform", null)]
    [InlineData(400, "100203", typeof(PlatformAuthenticationException), "The platform does not know this application", PlatformFix.AppId)]
    [InlineData(401, "1010005", typeof(PlatformAuthenticationException), "only the newest token is valid", PlatformFix.AppId)]
    [InlineData(403, "100217", typeof(PlatformAuthenticationException), "not authorized for this API", null)]
    [InlineData(429, "1010009", typeof(PlatformThrottledException), "allows 100 application calls per minute", null)]
    [InlineData(400, "100222", typeof(CallbackUrlRejectedException), "rejected the callback URL 'https://a.example:443/x': it must be https://host:port/path", null)]
    [InlineData(409, "100227", typeof(AlreadySubscribedException), "The notify type is already subscribed.", PlatformFix.ExistingSubscription)]
    [InlineData(400, "100228", typeof(PlatformApiException), "rejected the request as invalid", null)]
    [InlineData(400, "102202", typeof(PlatformApiException), "rejected the request as invalid", null)]
    [InlineData(401, "999", typeof(PlatformAuthenticationException), "The platform rejected the credentials", PlatformFix.AppIdAndSecret)]
    [InlineData(404, null, typeof(PlatformApiException), "Nothing was found", PlatformFix.SubscriptionId)]
    [InlineData(500, "50252", typeof(PlatformApiException), "internal error: try again later", null)]
    [InlineData(503, null, typeof(PlatformApiException), "internal error: try again later", null)]
    [InlineData(400, "123", typeof(PlatformApiException), "See the platform's error description.", null)]
    public void ToException_GivesEachErrorItsTypeWords_AndHint(int status, string? code, Type type, string words, PlatformFix? fix)
    {
        var e = PlatformErrors.ToException(status, code, "what the platform said.", "Subscribing", "https://a.example:443/x");

        Assert.IsType(type, e);
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Subscribing failed (HTTP {status}{(code is null ? "" : ", error " + code)}: what the platform said). ", e.Message,
            StringComparison.Ordinal);
        Assert.Equal((status, code, "what the platform said."), (e.HttpStatus, e.ErrorCode, e.ErrorDescription));
        Assert.Equal(fix, e.Fix);
    }

    [Theory]
    [InlineData(401, "100208", "Check SWUPGRADE_APP_ID and SWUPGRADE_APP_SECRET (or --app-id / --app-secret).")]
    [InlineData(400, "100203", "Check SWUPGRADE_APP_ID (or --app-id).")]
    [InlineData(401, "1010005", "Check SWUPGRADE_APP_ID (or --app-id).")]
    [InlineData(401, "999", "Check SWUPGRADE_APP_ID and SWUPGRADE_APP_SECRET (or --app-id / --app-secret).")]
    [InlineData(409, "100227", "List the subscriptions with 'swupgrade subscriptions list', delete the old one, then subscribe again.")]
    [InlineData(404, null, "Check the subscription id with 'swupgrade subscriptions list'.")]
    public void ToException_TheCliAddsItsOwnAdvice_AfterTheMessage(int status, string? code, string advice)
    {
        var e = PlatformErrors.ToException(status, code, "what the platform said.", "Subscribing", "https://a.example:443/x");

        Assert.Equal(e.Message + " " + advice, CliAdvice.Describe(e));
    }

    [Fact]
    public void ToException_WithoutADescriptionOrUrl_LeavesThemOut()
    {
        var e = PlatformErrors.ToException(400, "100222", null, "Subscribing");

        Assert.Equal("Subscribing failed (HTTP 400, error 100222). The platform rejected the callback URL: it must be https://host:port/path, "
            + "reachable from the platform, and all subscriptions of one application must use the same host and port.", e.Message);
    }

    [Theory]
    [InlineData("{\"error_code\":\"100208\",\"error_desc\":\"wrong\"}", "100208", "wrong")]
    [InlineData("{\"error_code\":1010009,\"error_desc\":null}", "1010009", null)]
    [InlineData("{\"error_desc\":\"only a description\"}", null, "only a description")]
    [InlineData("{\"error_code\":[1]}", null, null)]
    [InlineData("[\"not an object\"]", null, null)]
    [InlineData("<html>bad gateway</html>", null, null)]
    [InlineData("   ", null, null)]
    [InlineData(null, null, null)]
    public void Parse_ReadsTheCodeAndDescription_AndToleratesAnythingElse(string? body, string? code, string? description) =>
        Assert.Equal((code, description), PlatformErrors.Parse(body));

    [Fact]
    public void StillThrottled_SaysHowManyTriesOverHowLong()
    {
        var e = PlatformErrors.StillThrottled(429, "1010009", "Too many requests.", "Listing subscriptions", 5, TimeSpan.FromSeconds(62.4));

        Assert.Equal("Listing subscriptions failed: the platform was still throttled after 5 tries over 62 s (HTTP 429, error 1010009: Too many requests). "
            + "It allows 100 application calls per minute: wait a minute and try again.", e.Message);
    }

    [Theory]
    [InlineData(0, "swUpgradeResultNotify is already subscribed, to a URL the subscription list does not show", "--notify-type swUpgradeResultNotify')")]
    [InlineData(1, "swUpgradeResultNotify is already subscribed to https://old.example:443/a", "--notify-type swUpgradeResultNotify --callback-url https://old.example:443/a')")]
    [InlineData(2, "swUpgradeResultNotify is already subscribed to https://old.example:443/a and https://old.example:443/b", "--notify-type swUpgradeResultNotify')")]
    public void AlreadySubscribedElsewhere_NamesTheHolders_AndTheDeleteThatFreesTheType(int holders, string now, string delete)
    {
        var conflict = (PlatformApiException)PlatformErrors.ToException(409, "100227", null, "Subscribing");
        var urls = new[] { "https://old.example:443/a", "https://old.example:443/b" }.Take(holders).ToArray();

        var e = PlatformErrors.AlreadySubscribedElsewhere(conflict, "Subscribing swUpgradeResultNotify", "swUpgradeResultNotify",
            "https://new.example:443/x", urls);

        Assert.Equal("Subscribing swUpgradeResultNotify to https://new.example:443/x failed (HTTP 409, error 100227): " + now + ".", e.Message);
        Assert.Equal((PlatformFix.ExistingSubscription, "swUpgradeResultNotify"), (e.Fix, e.NotifyType));
        Assert.Equal(urls, e.Holders);
        Assert.EndsWith("delete the old one ('swupgrade subscriptions delete " + delete + ", then subscribe again.", CliAdvice.Describe(e),
            StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => PlatformErrors.AlreadySubscribedElsewhere(null!, "x", "t", "u", urls));
        Assert.Throws<ArgumentNullException>(() => PlatformErrors.AlreadySubscribedElsewhere(conflict, "x", "t", "u", null!));
    }
}
