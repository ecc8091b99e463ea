using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using SwUpgradeFunc.Dashboard;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>The operator page's files over HTTP: anonymous, typed, locked down by headers, only the listed names.</summary>
public sealed partial class DashboardFunctionsTests : IAsyncLifetime
{
    private FunctionsTestHost _host = null!;

    /// <summary>A browser's client: no function key.</summary>
    private HttpClient _anonymous = null!;

    public async Task InitializeAsync()
    {
        _host = await FunctionsTestHost.StartAsync(MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-dashboard"));
        _anonymous = _host.CreateClientWithoutKey();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/dashboard", "text/html")]
    [InlineData("/dashboard/dashboard.css", "text/css")]
    [InlineData("/dashboard/dashboard.js", "text/javascript")]
    public async Task Get_ServesThePagesFiles_WithoutAKey_WithTheirContentTypeAndSecurityHeaders(string path, string mediaType)
    {
        using var response = await _anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.True(response.Headers.CacheControl?.NoCache, "Cache-Control: no-cache, so a new deployment is picked up at once");
        Assert.NotNull(response.Headers.ETag);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 0);
    }

    [Fact]
    public async Task Get_Answers304_WhenTheBrowsersCopyIsCurrent()
    {
        using var first = await _anonymous.GetAsync("/dashboard/dashboard.js");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/dashboard.js");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        using var second = await _anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/dashboard/secrets.json")]
    [InlineData("/dashboard/DASHBOARD.JS")]
    [InlineData("/dashboard/dashboard.html")]
    [InlineData("/dashboard/SwUpgradeFunc.Dashboard.dashboard.js")]
    [InlineData("/dashboard/..%2Fhost.json")]
    public async Task Get_Answers404ProblemJson_ForAnyNameNotOnTheList(string path)
    {
        using var response = await _anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("unknown-asset", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shell_HasNoInlineScriptOrStyle_AndEveryFileItLoadsIsServed()
    {
        var html = await _anonymous.GetStringAsync("/dashboard");

        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(InlineAttribute(), html);
        var references = Reference().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.Equal(["/dashboard/dashboard.css", "/dashboard/dashboard.js"], references.Order(StringComparer.Ordinal));
        foreach (var reference in references)
        {
            using var response = await _anonymous.GetAsync(reference);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public void PageFiles_StayWellUnderTheSizeBudget_AndLoadNothingFromElsewhere()
    {
        var assets = DashboardAssets.Shared.All.ToList();

        Assert.Equal(["dashboard.css", "dashboard.html", "dashboard.js"], assets.Select(a => a.Name).Order(StringComparer.Ordinal));
        Assert.True(assets.Sum(a => a.Content.Length) < 60 * 1024, $"{assets.Sum(a => a.Content.Length)} bytes");
        foreach (var asset in assets)
        {
            var text = System.Text.Encoding.UTF8.GetString(asset.Content);
            // The SVG namespace is a name the chart's elements are created in (createElementNS), never fetched.
            Assert.DoesNotMatch(ExternalUrl(), text.Replace("'http://www.w3.org/2000/svg'", "", StringComparison.Ordinal));
            Assert.DoesNotContain("@import", text, StringComparison.Ordinal);
            Assert.DoesNotContain("innerHTML", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StatusApi_Answers401_WithoutOrWithAWrongKey_AsTheFunctionsHostDoes()
    {
        using var none = await _anonymous.GetAsync("/api/upgrades/op-1");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/upgrades/op-1");
        wrong.Headers.Add(FunctionsTestHost.KeyHeader, "not-the-key");
        using var wrongAnswer = await _anonymous.SendAsync(wrong);
        using var inQuery = await _anonymous.GetAsync("/api/devices/dev-x/upgrades?code=" + _host.FunctionKey);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.NotEqual(HttpStatusCode.Unauthorized, inQuery.StatusCode);
    }

    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"\s(style|on[a-z]+)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineAttribute();

    [GeneratedRegex(@"(?:src|href)=""(?<url>/[^""]*)""")]
    private static partial Regex Reference();

    [GeneratedRegex(@"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalUrl();
}
