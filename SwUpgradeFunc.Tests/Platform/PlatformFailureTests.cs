using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>How the client meets a platform that is busy, unreachable or slow, and what it says about each.</summary>
public sealed class PlatformFailureTests : PlatformTests
{
    private readonly ConcurrentQueue<string> _diagnostics = new();

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task BriefUnavailability_IsRetried_AndSaidToBeBusy(int status)
    {
        using var client = Ctx.Client(o => o.Diagnostics = _diagnostics.Enqueue, time: new InstantDelayTimeProvider());
        Fake.EnqueueFailure(SubscriptionsPath, status, "50252");

        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(2, Fake.RequestsTo(SubscriptionsPath).Count);
        var said = Assert.Single(_diagnostics);
        Assert.StartsWith($"Listing subscriptions: the platform answered {status} (busy); retry 1 of 4 in ", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThrottlingInTheBody_OfA403_IsRetried_AndSaidToBeThrottled()
    {
        using var client = Ctx.Client(o => o.Diagnostics = _diagnostics.Enqueue, time: new InstantDelayTimeProvider());
        Fake.Throttle(SubscriptionsPath, 1);

        await client.ListSubscriptionsAsync(null, 0, 10);

        Assert.Equal(2, Fake.RequestsTo(SubscriptionsPath).Count);
        Assert.StartsWith("Listing subscriptions: the platform answered 403 (throttled); retry 1 of 4 in ", Assert.Single(_diagnostics),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnErrorThatIsNotThrottling_IsNotRetried()
    {
        using var client = Ctx.Client(time: new InstantDelayTimeProvider());
        Fake.EnqueueFailure(SubscriptionsPath, 400, "100228");

        var e = await Assert.ThrowsAsync<PlatformApiException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal(("100228", 1), (e.ErrorCode, Fake.RequestsTo(SubscriptionsPath).Count));
    }

    [Fact]
    public async Task Unavailability_BeyondTheRetries_IsReportedAsThePlatformsError_NotAsThrottling()
    {
        using var client = Ctx.Client(o => o.MaxRetryAttempts = 1, time: new InstantDelayTimeProvider());
        Fake.EnqueueFailure(SubscriptionsPath, 503, "50252");
        Fake.EnqueueFailure(SubscriptionsPath, 503, "50252");

        var e = await Assert.ThrowsAsync<PlatformApiException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.IsNotType<PlatformThrottledException>(e);
        Assert.Equal((503, 2), (e.HttpStatus, Fake.RequestsTo(SubscriptionsPath).Count));
        Assert.Contains("internal error: try again later", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANegativeRetryCount_MeansNoRetry()
    {
        using var client = Ctx.Client(o => o.MaxRetryAttempts = -3, time: new InstantDelayTimeProvider());
        Fake.EnqueueFailure(SubscriptionsPath, 503, "50252");

        await Assert.ThrowsAsync<PlatformApiException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Single(Fake.RequestsTo(SubscriptionsPath));
    }

    [Fact]
    public async Task APlatformThatDoesNotListen_IsUnreachable_NamingTheSetting()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = Ctx.Client(o => o.BaseUrl = new Uri($"https://127.0.0.1:{port}/"));

        var e = await Assert.ThrowsAsync<PlatformUnreachableException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        // The socket's own words, not the wrapper's "Connection refused (127.0.0.1:port)".
        var refused = new SocketException((int)SocketError.ConnectionRefused).Message;
        Assert.Equal($"The platform at 127.0.0.1:{port} could not be reached: {refused}.", e.Message);
        Assert.Equal(PlatformFix.PlatformUrl, e.Fix);
        Assert.Equal($"The platform at 127.0.0.1:{port} could not be reached: {refused}. Check SWUPGRADE_PLATFORM_URL (or --platform-url) and the network.",
            CliAdvice.Describe(e));
    }

    [Fact]
    public async Task AnAnswerCutShort_IsUnreachable_InPlainWords()
    {
        using var client = Ctx.Client();
        Fake.CutAnswerShort("/login");

        var e = await Assert.ThrowsAsync<PlatformUnreachableException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal($"The platform at {Fake.BaseUrl.Authority} could not be reached: The response ended prematurely.", e.Message);
        Assert.Equal(
            $"The platform at {Fake.BaseUrl.Authority} could not be reached: The response ended prematurely. Check SWUPGRADE_PLATFORM_URL (or --platform-url) and the network.",
            CliAdvice.Describe(e));
    }

    [Fact]
    public async Task APlatformSlowerThanTheRequestTimeout_SaysHowLongItWaited()
    {
        Fake.LoginDelay = TimeSpan.FromSeconds(5);
        using var client = Ctx.Client(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));

        var e = await Assert.ThrowsAsync<PlatformUnreachableException>(() => client.ListSubscriptionsAsync(null, 0, 10));

        Assert.Equal($"The platform at {Fake.BaseUrl.Authority} did not answer one request within 0.3 s.", e.Message);
    }

    [Fact]
    public void Options_WithoutAPlatformUrl_NameTheSetting()
    {
        var e = Assert.Throws<PlatformConfigurationException>(() => Ctx.Client(o => o.BaseUrl = null!));

        Assert.Equal(PlatformFix.PlatformUrl, e.Fix);
        Assert.Contains("SWUPGRADE_PLATFORM_URL", CliAdvice.Describe(e), StringComparison.Ordinal);
        Assert.Contains("--platform-url", CliAdvice.Describe(e), StringComparison.Ordinal);
    }
}
