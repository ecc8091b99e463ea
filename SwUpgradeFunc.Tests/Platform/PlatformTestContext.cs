using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>A test CA and a fake platform that trusts it, plus client options that point at the fake.</summary>
public sealed class PlatformTestContext : IAsyncDisposable
{
    private PlatformTestContext(TestCertificateAuthority ca, FakeHuaweiPlatform fake)
    {
        Ca = ca;
        Fake = fake;
    }

    public TestCertificateAuthority Ca { get; }

    public FakeHuaweiPlatform Fake { get; }

    public static async Task<PlatformTestContext> StartAsync(bool requireClientCertificate = false)
    {
        var ca = TestCertificateAuthority.Create("Fake IoT platform CA");
        try
        {
            var fake = await FakeHuaweiPlatform.StartAsync(ca, requireClientCertificate);
            return new PlatformTestContext(ca, fake);
        }
        catch
        {
            ca.Dispose();
            throw;
        }
    }

    /// <summary>Options that reach the fake: its base URL, credentials, the test CA, tiny retry delays.</summary>
    public PlatformClientOptions Options(Action<PlatformClientOptions>? configure = null)
    {
        var options = new PlatformClientOptions
        {
            BaseUrl = Fake.BaseUrl,
            AppId = Fake.AppId,
            Secret = Fake.Secret,
            CaFile = Ca.CaFile,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryAttempts = 4,
            RequestTimeout = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        return options;
    }

    public HuaweiIotPlatformClient Client(Action<PlatformClientOptions>? configure = null, TimeProvider? time = null) =>
        new(Options(configure), time);

    public async ValueTask DisposeAsync()
    {
        await Fake.DisposeAsync();
        Ca.Dispose();
    }
}
