using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SwUpgrade.Cli.Platform;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// When the client renews its access token, at the exact second: the token is renewed 5 minutes (the margin) before it
/// expires, the refresh token is used until 24 hours less the margin, and a short-lived token is kept for half its life.
/// </summary>
public sealed class TokenLifetimeTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));
    private PlatformTestContext _ctx = null!;

    public async Task InitializeAsync() => _ctx = await PlatformTestContext.StartAsync();

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    private async Task<(int Logins, int Refreshes)> CallAfter(HuaweiIotPlatformClient client, TimeSpan wait)
    {
        _time.Advance(wait);
        await client.ListSubscriptionsAsync(null, 0, 10);
        return (_ctx.Fake.LoginCount, _ctx.Fake.RefreshCount);
    }

    [Fact]
    public async Task Token_IsRenewed_AtExactlyItsExpiryLessTheMargin()
    {
        using var client = _ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(3600 - 300)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task Token_WithoutAUsableExpiresIn_IsKeptForAnHour(long expiresIn)
    {
        _ctx.Fake.ExpiresIn = expiresIn;
        using var client = _ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 0), await CallAfter(client, TimeSpan.FromSeconds(3600 - 301)));
        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Token_LivingLessThanTwiceTheMargin_IsKeptForHalfItsLifetime()
    {
        _ctx.Fake.ExpiresIn = 400; // the 300 s margin would leave 100 s; half the lifetime is 200 s
        using var client = _ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 0), await CallAfter(client, TimeSpan.FromSeconds(199)));
        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(-301, 1, 1)] // the refresh token still counts: it renews the access token
    [InlineData(-300, 2, 0)] // from 24 hours less the margin on, the client logs in afresh
    public async Task RefreshToken_IsUsed_UntilItsLifetimeLessTheMargin(int secondsAfterADay, int logins, int refreshes)
    {
        using var client = _ctx.Client(time: _time);
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((logins, refreshes), await CallAfter(client, TimeSpan.FromHours(24) + TimeSpan.FromSeconds(secondsAfterADay)));
    }

    [Fact]
    public async Task ARefreshStillThrottled_SaysItWasRefreshingTheToken()
    {
        using var client = _ctx.Client(o => o.MaxRetryAttempts = 0, _time);
        await client.ListSubscriptionsAsync(null, 0, 10);
        _ctx.Fake.Throttle("/refreshToken", 1);
        _time.Advance(TimeSpan.FromSeconds(3301));

        var e = await Assert.ThrowsAsync<PlatformThrottledException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.StartsWith("Refreshing the platform access token failed: the platform was still throttled after 1 tries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientFromHttpClientFactory_KeepsTheTokenByTheTimeProviderItWasGiven()
    {
        var services = new ServiceCollection();
        services.AddHuaweiIotPlatformClient(_ctx.Options(), _time);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<HuaweiIotPlatformClient>();
        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal((1, 0), await CallAfter(client, TimeSpan.FromSeconds(3299)));
        Assert.Equal((1, 1), await CallAfter(client, TimeSpan.FromSeconds(1)));
    }
}
