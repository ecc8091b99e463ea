using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

public sealed class CallbackUrlTests
{
    [Theory]
    [InlineData("https://app.example.net", "https://app.example.net:443/v1.0.0/messageReceiver")]
    [InlineData("https://app.example.net/", "https://app.example.net:443/v1.0.0/messageReceiver")]
    [InlineData("https://app.example.net:8443/api/HuaweiPush", "https://app.example.net:8443/api/HuaweiPush")]
    [InlineData("https://app.example.net/api/push?code=abc", "https://app.example.net:443/api/push?code=abc")]
    [InlineData("  https://APP.example.net/x  ", "https://app.example.net:443/x")]
    public void Normalize_MakesPortAndPathExplicit(string input, string expected) =>
        Assert.Equal(expected, CallbackUrl.Normalize(input));

    [Theory]
    [InlineData("")]
    [InlineData("app.example.net/push")]
    [InlineData("/v1.0.0/messageReceiver")]
    [InlineData("ftp://app.example.net/push")]
    [InlineData("http://app.example.net/push")]
    [InlineData("https://user:pw@app.example.net/push")]
    [InlineData("https://app.example.net/push#frag")]
    public void Normalize_RejectsUnusableUrls(string input) =>
        Assert.Throws<InvalidCallbackUrlException>(() => CallbackUrl.Normalize(input));

    [Fact]
    public void Http_IsAccepted_OnlyWithTheExplicitFlag()
    {
        Assert.Throws<InvalidCallbackUrlException>(() => CallbackUrl.Normalize("http://app.example.net/push"));
        Assert.Equal("http://app.example.net:80/push", CallbackUrl.Normalize("http://app.example.net/push", allowHttp: true));
    }

    [Fact]
    public void Length_IsLimitedTo1024Characters()
    {
        var prefix = "https://app.example.net:443/";
        Assert.Equal(1024, CallbackUrl.Normalize(prefix + new string('a', 1024 - prefix.Length)).Length);
        var e = Assert.Throws<InvalidCallbackUrlException>(() => CallbackUrl.Normalize(prefix + new string('a', 1025 - prefix.Length)));
        Assert.Contains("1024", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("app.example.net/push", "'app.example.net/push' is not an absolute URL")]
    [InlineData("file:///tmp/push", "'file:///tmp/push' is not an absolute URL")]
    [InlineData("ftp://app.example.net/push", "has the scheme 'ftp'")]
    [InlineData("http://app.example.net/push", "uses http: the platform would push notifications unencrypted")]
    [InlineData("https://app.example.net/push#frag", "must not contain a fragment")]
    public void Normalize_SaysWhatIsWrong(string input, string expected)
    {
        var e = Assert.Throws<InvalidCallbackUrlException>(() => CallbackUrl.Normalize(input));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://app.example.net/push")]
    [InlineData("ftp://app.example.net/push")]
    public void Normalize_RefusingTheScheme_HintsAtIt_AndTheCliNamesItsFlag(string input)
    {
        var e = Assert.Throws<InvalidCallbackUrlException>(() => CallbackUrl.Normalize(input));

        Assert.Equal(PlatformFix.CallbackUrlScheme, e.Fix);
        Assert.Contains("--allow-http-callback", CliAdvice.Describe(e), StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_RefusesUserInformation_WithoutRepeatingIt()
    {
        var e = Assert.Throws<InvalidCallbackUrlException>(() => CallbackUrl.Normalize("https://admin:s3cretPassw0rd@app.example.net/push"));

        Assert.Contains("must not contain user information", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cretPassw0rd", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://[::1]/push", "https://[::1]:443/push")]
    [InlineData("https://[2001:db8::7]:8443", "https://[2001:db8::7]:8443/v1.0.0/messageReceiver")]
    public void Normalize_KeepsAnIPv6HostInBrackets(string input, string expected) =>
        Assert.Equal(expected, CallbackUrl.Normalize(input));

    [Theory]
    [InlineData("https://APP.example.net/", "https://app.example.net:443/v1.0.0/messageReceiver", true)]
    [InlineData("http://app.example.net/push", "http://app.example.net:80/push", true)]
    [InlineData("https://app.example.net:8443/push", "https://app.example.net:443/push", false)]
    [InlineData("not a url", "not a url", true)]
    [InlineData("not a url", "https://app.example.net:443/push", false)]
    [InlineData(null, "https://app.example.net:443/push", false)]
    public void SameUrl_ComparesAStoredUrl_OnceNormalised(string? stored, string normalized, bool expected) =>
        Assert.Equal(expected, CallbackUrl.SameUrl(stored, normalized));
}
