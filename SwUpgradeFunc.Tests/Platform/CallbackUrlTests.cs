using SwUpgrade.Cli.Platform;

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
}
