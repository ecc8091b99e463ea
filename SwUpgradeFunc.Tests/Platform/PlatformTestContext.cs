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

    /// <param name="requireClientCertificate">Whether the fake asks for a client certificate in the handshake.</param>
    /// <param name="serverHostName">A DNS name to issue the fake's certificate for instead of its own address.</param>
    public static async Task<PlatformTestContext> StartAsync(bool requireClientCertificate = false, string? serverHostName = null)
    {
        var ca = TestCertificateAuthority.Create("Fake IoT platform CA");
        try
        {
            var serverCertificate = serverHostName is null ? null : ca.IssueServerCertificate(serverHostName);
            var fake = await FakeHuaweiPlatform.StartAsync(ca, requireClientCertificate, serverCertificate);
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

    /// <summary>The CLI's environment variables that reach the fake with the test CA.</summary>
    public Dictionary<string, string?> CliEnvironment() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["SWUPGRADE_PLATFORM_URL"] = Fake.BaseUrl.ToString(),
        ["SWUPGRADE_APP_ID"] = Fake.AppId,
        ["SWUPGRADE_APP_SECRET"] = Fake.Secret,
        ["SWUPGRADE_CA_FILE"] = Ca.CaFile,
    };

    public HuaweiIotPlatformClient Client(Action<PlatformClientOptions>? configure = null, TimeProvider? time = null) =>
        new(Options(configure), time);

    public async ValueTask DisposeAsync()
    {
        await Fake.DisposeAsync();
        Ca.Dispose();
    }
}
