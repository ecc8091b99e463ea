using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>Back-off on throttling: per-attempt timeouts, growing delays, Retry-After, the token current at each retry.</summary>
public sealed class ThrottlingTests : PlatformTests
{
    private const string Callback = "https://swupgrade.example.net:443/v1.0.0/messageReceiver";

    [Fact]
    public async Task ThrottlingLongerThanTheRequestTimeout_IsRetried_BecauseTheTimeoutAppliesToEachAttempt()
    {
        // Back-off of 10 + 20 + 40 + 80 s (on the injected clock) against a 2 s timeout per attempt: the 4th retry runs.
        var time = new InstantDelayTimeProvider();
        var notes = new List<string>();
        using var client = Ctx.Client(
            o =>
            {
                o.RetryBaseDelay = TimeSpan.FromSeconds(10);
                o.RequestTimeout = TimeSpan.FromSeconds(2);
                o.Diagnostics = notes.Add;
            },
            time);
        Fake.Throttle(ManagementSubscribePath, 4);

        var result = await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(SubscribeOutcome.Subscribed, result.Outcome);
        Assert.Equal(5, Fake.RequestsTo(ManagementSubscribePath).Count);
        Assert.Equal(["retry 1 of 4", "retry 2 of 4", "retry 3 of 4", "retry 4 of 4"], notes.Select(n => n[n.IndexOf("retry", StringComparison.Ordinal)..n.IndexOf(" in ", StringComparison.Ordinal)]));
        var delays = time.Delays;
        Assert.Equal(4, delays.Count);
        for (var i = 0; i < delays.Count; i++)
        {
            var expected = 10 * Math.Pow(2, i);
            Assert.InRange(delays[i].TotalSeconds, expected * 0.8, expected * 1.2);
        }
    }

    [Fact]
    public async Task ThrottledBeyondTheRetries_SaysStillThrottledAfterNTries()
    {
        var time = new InstantDelayTimeProvider();
        using var client = Ctx.Client(o => o.RetryBaseDelay = TimeSpan.FromSeconds(5), time);
        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.Throttle(SubscriptionsPath, 10);

        var e = await Assert.ThrowsAsync<PlatformThrottledException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Contains("still throttled after 5 tries", e.Message, StringComparison.Ordinal);
        Assert.Equal(403, e.HttpStatus);
        Assert.Equal("1010009", e.ErrorCode);
        Assert.Equal(1 + 5, Fake.RequestsTo(SubscriptionsPath).Count);
        Assert.Equal(4, time.Delays.Count);
    }

    [Fact]
    public async Task RetryAfter_IsHonoured()
    {
        var time = new InstantDelayTimeProvider();
        using var client = Ctx.Client(o => o.RetryBaseDelay = TimeSpan.FromSeconds(1), time);
        Fake.Throttle(ManagementSubscribePath, 2, retryAfterSeconds: 45);

        await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback);

        Assert.Equal([TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(45)], time.Delays);
    }

    [Fact]
    public async Task RetryAfterABackOff_CarriesTheTokenThatIsCurrentThen()
    {
        // The token lives 10 minutes and is renewed 5 minutes before expiry; the platform asks for a 6-minute wait.
        Fake.ExpiresIn = 600;
        var time = new InstantDelayTimeProvider();
        using var client = Ctx.Client(o => o.MaxRetryDelay = TimeSpan.FromMinutes(10), time);
        await client.ListSubscriptionsAsync(null, 0, 10);
        Fake.Throttle(ManagementSubscribePath, 1, retryAfterSeconds: 360);

        var result = await client.SubscribeAsync(NotifyTypes.SwUpgradeStateChange, Callback).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(SubscribeOutcome.Subscribed, result.Outcome);
        var attempts = Fake.RequestsTo(ManagementSubscribePath);
        Assert.Equal(["Bearer access-1", "Bearer access-2"], attempts.Select(a => a.Header("Authorization")));
        Assert.Equal(1, Fake.RefreshCount);
    }

    [Fact]
    public async Task ThrottledLogin_IsRetriedToo()
    {
        var time = new InstantDelayTimeProvider();
        using var client = Ctx.Client(time: time);
        Fake.Throttle("/iocm/app/sec/v1.1.0/login", 2);

        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(3, Fake.RequestsTo("/iocm/app/sec/v1.1.0/login").Count);
        Assert.Equal(1, Fake.LoginCount);
    }

    [Theory]
    [InlineData(1, 0.0, 4.0)]
    [InlineData(1, 0.999, 6.0)]
    [InlineData(3, 0.5, 20.0)]
    [InlineData(10, 0.5, 120.0)]
    public void Delay_GrowsExponentially_WithBoundedJitter_UpToTheCap(int retry, double random, double expectedSeconds)
    {
        var options = new PlatformClientOptions { RetryBaseDelay = TimeSpan.FromSeconds(5), MaxRetryDelay = TimeSpan.FromMinutes(2) };

        Assert.Equal(expectedSeconds, RetryBackoff.Delay(retry, options, null, random).TotalSeconds, 2);
    }
}
