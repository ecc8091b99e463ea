using System.Net;
using System.Net.Http.Headers;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

public sealed class RetryBackoffTests
{
    private static readonly PlatformClientOptions Options = new() { RetryBaseDelay = TimeSpan.FromSeconds(5), MaxRetryDelay = TimeSpan.FromMinutes(2) };

    [Theory]
    [InlineData(30, 30)]
    [InlineData(-5, 0)]
    [InlineData(600, 120)]
    public void Delay_HonoursRetryAfter_WithinZeroAndTheCap(int askedSeconds, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetryBackoff.Delay(4, Options, TimeSpan.FromSeconds(askedSeconds), 0.5));

    [Theory]
    [InlineData(5.0, 6.0)]
    [InlineData(-3.0, 4.0)]
    public void Delay_ClampsTheRandomShare_ToTheJitterBounds(double random, double expectedSeconds) =>
        Assert.Equal(expectedSeconds, RetryBackoff.Delay(1, Options, null, random).TotalSeconds, 3);

    [Fact]
    public void Delay_IsUncapped_WhenNoMaximumIsSet_AndTheExponentStopsGrowingAt30()
    {
        var uncapped = new PlatformClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.Zero };

        Assert.Equal(TimeSpan.FromMilliseconds(512), RetryBackoff.Delay(10, uncapped, null, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(Math.Pow(2, 30)), RetryBackoff.Delay(31, uncapped, null, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(Math.Pow(2, 30)), RetryBackoff.Delay(60, uncapped, null, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(3), RetryBackoff.Delay(1, uncapped, TimeSpan.FromSeconds(3), 0.5));
    }

    [Fact]
    public void Delay_RefusesARetryNumberBelowOne() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryBackoff.Delay(0, Options, null, 0.5));

    [Fact]
    public void RetryAfter_ReadsSecondsOrADate_AndIsNullWithoutTheHeader()
    {
        var now = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.RetryAfter = new RetryConditionHeaderValue(now.AddSeconds(42));
        using var none = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        Assert.Equal(TimeSpan.FromSeconds(7), RetryBackoff.RetryAfter(seconds, now));
        Assert.Equal(TimeSpan.FromSeconds(42), RetryBackoff.RetryAfter(date, now));
        Assert.Null(RetryBackoff.RetryAfter(none, now));
    }

    [Fact]
    public void BothMethods_RefuseMissingArguments()
    {
        Assert.Throws<ArgumentNullException>(() => RetryBackoff.Delay(1, null!, null, 0.5));
        Assert.Throws<ArgumentNullException>(() => RetryBackoff.RetryAfter(null!, DateTimeOffset.UtcNow));
    }
}
