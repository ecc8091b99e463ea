using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// Base of the test classes that talk to the fake platform: each test gets its own CA and fake, so no test sees
/// another's requests, subscriptions or tokens.
/// </summary>
public abstract class PlatformTests : IAsyncLifetime
{
    protected const string LoginPath = "/iocm/app/sec/v1.1.0/login";
    protected const string RefreshPath = "/iocm/app/sec/v1.1.0/refreshToken";
    protected const string ManagementSubscribePath = "/iodm/app/sub/v1.1.0/subscribe";
    protected const string SubscriptionsPath = "/iocm/app/sub/v1.2.0/subscriptions";

    protected PlatformTestContext Ctx { get; private set; } = null!;

    protected FakeHuaweiPlatform Fake => Ctx.Fake;

    /// <summary>Whether the fake asks for a client certificate in the TLS handshake.</summary>
    protected virtual bool RequireClientCertificate => false;

    /// <summary>The host name the fake's server certificate is issued for; null for the one its URL names.</summary>
    protected virtual string? ServerHostName => null;

    public virtual async Task InitializeAsync() =>
        Ctx = await PlatformTestContext.StartAsync(RequireClientCertificate, ServerHostName);

    public virtual async Task DisposeAsync() => await Ctx.DisposeAsync();
}
