using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// When the client renews its access token, at the exact second: the token is renewed 5 minutes (the margin) before it
/// expires, the refresh token is used until 24 hours less the margin, and a short-lived token is kept for half its life.
/// </summary>
public sealed class TokenLifetimeTests : PlatformTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));

    private async Task<(int Logins, int Refreshes)> CallAfter(HuaweiIotPlatformClient client, TimeSpan wait)
    {
        _time.Advance(wait);
        await client.ListSubscriptionsAsync(null, 0, 10);
        return (Fake.LoginCount, Fake.RefreshCount);
    }

    [Fact]
    public async Task Token_IsKept_UntilShortlyBeforeExpiry()
    {
        using var client = Ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 0), await CallAfter(client, TimeSpan.FromSeconds(3600 - 301)));
    }

    [Fact]
    public async Task Token_IsRenewedWithRefreshToken_ShortlyBeforeExpiry()
    {
        using var client = Ctx.Client(time: _time);

        await client.ListSubscriptionsAsync(null, 0, 10);
        var firstToken = Fake.CurrentAccessToken;
        _time.Advance(TimeSpan.FromSeconds(3600 - 299));
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(1, Fake.LoginCount);
        Assert.Equal(1, Fake.RefreshCount);
        var refresh = Assert.Single(Fake.RequestsTo(RefreshPath));
        Assert.Equal("POST", refresh.Method);
        Assert.StartsWith("application/json", refresh.Header("Content-Type"), StringComparison.Ordinal);
        using var body = JsonDocument.Parse(refresh.Body);
        Assert.Equal(FakeHuaweiPlatform.DefaultAppId, body.RootElement.GetProperty("appId").GetString());
        Assert.Equal(FakeHuaweiPlatform.DefaultSecret, body.RootElement.GetProperty("secret").GetString());
        Assert.Equal("refresh-1", body.RootElement.GetProperty("refreshToken").GetString());
        Assert.NotEqual(firstToken, Fake.CurrentAccessToken);
        Assert.Equal("Bearer " + Fake.CurrentAccessToken, Fake.RequestsTo(SubscriptionsPath)[^1].Header("Authorization"));
    }

    [Fact]
    public async Task Token_AfterRefreshTokenLifetime_LogsInAgain()
    {
        using var client = Ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(2, (await CallAfter(client, TimeSpan.FromHours(25))).Logins);
        Assert.Empty(Fake.RequestsTo(RefreshPath));
    }

    [Fact]
    public async Task Token_RefusedRefresh_FallsBackToLogin()
    {
        using var client = Ctx.Client(time: _time);

        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.EnqueueFailure(RefreshPath, 401, "1010005", "Invalid refresh token.");
        _time.Advance(TimeSpan.FromSeconds(3500));
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(2, Fake.LoginCount);
        Assert.Single(Fake.RequestsTo(RefreshPath));
    }

    [Fact]
    public async Task Token_IsRenewed_AtExactlyItsExpiryLessTheMargin()
    {
        using var client = Ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(3600 - 300)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task Token_WithoutAUsableExpiresIn_IsKeptForAnHour(long expiresIn)
    {
        Fake.ExpiresIn = expiresIn;
        using var client = Ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 0), await CallAfter(client, TimeSpan.FromSeconds(3600 - 301)));
        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Token_LivingLessThanTwiceTheMargin_IsKeptForHalfItsLifetime()
    {
        Fake.ExpiresIn = 400; // the 300 s margin would leave 100 s; half the lifetime is 200 s
        using var client = Ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 0), await CallAfter(client, TimeSpan.FromSeconds(199)));
        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(-301, 1, 1)] // the refresh token still counts: it renews the access token
    [InlineData(-300, 2, 0)] // from 24 hours less the margin on, the client logs in afresh
    public async Task RefreshToken_IsUsed_UntilItsLifetimeLessTheMargin(int secondsAfterADay, int logins, int refreshes)
    {
        using var client = Ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((logins, refreshes), await CallAfter(client, TimeSpan.FromHours(24) + TimeSpan.FromSeconds(secondsAfterADay)));
    }

    [Fact]
    public async Task ARefreshStillThrottled_SaysItWasRefreshingTheToken()
    {
        using var client = Ctx.Client(o => o.MaxRetryAttempts = 0, _time);
        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.Throttle(RefreshPath, 1);
        _time.Advance(TimeSpan.FromSeconds(3301));

        var e = await Assert.ThrowsAsync<PlatformThrottledException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.StartsWith("Refreshing the platform access token failed: the platform was still throttled after 1 tries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientFromHttpClientFactory_KeepsTheTokenByTheTimeProviderItWasGiven()
    {
        var services = new ServiceCollection();
        services.AddHuaweiIotPlatformClient(Ctx.Options(), _time);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<HuaweiIotPlatformClient>();
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 0), await CallAfter(client, TimeSpan.FromSeconds(3299)));
        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(1)));
    }
}
