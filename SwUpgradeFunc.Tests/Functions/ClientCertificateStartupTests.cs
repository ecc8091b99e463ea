using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>The client certificate settings are checked when the app starts; an unusable one stops it with its key named.</summary>
public sealed class ClientCertificateStartupTests : IDisposable
{
    private readonly PushCertificates _certificates = new(DateTimeOffset.UtcNow);

    public void Dispose() => _certificates.Dispose();

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] certificate)
    {
        var settings = MessageReceiverIntegrationTests.Settings("UseDevelopmentStorage=true", "q-startup");
        foreach (var (key, value) in certificate)
        {
            settings["Receiver:ClientCertificate:" + key] = value;
        }

        return settings;
    }

    [Theory]
    [InlineData("Mode", "sometimes", "Receiver__ClientCertificate__Mode")]
    [InlineData("CaCertificates", "/no/such/file.pem", "Receiver__ClientCertificate__CaCertificates")]
    [InlineData("CaCertificates", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----", "Receiver__ClientCertificate__CaCertificates")]
    [InlineData("Thumbprints", "0123", "Receiver__ClientCertificate__Thumbprints")]
    public async Task Start_Fails_NamingTheSetting_WhenAClientCertificateValueIsInvalid(string key, string value, string named)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            FunctionsTestHost.StartAsync(Settings(("Mode", "required"), (key, value))));

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Fails_WhenTheCheckIsRequired_WithoutCaOrPins()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => FunctionsTestHost.StartAsync(Settings(("Mode", "required"))));

        Assert.Contains("neither", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WarnsThatAnyCallerMayPush_WhenTheCheckIsOff()
    {
        var logs = await StartCollectingLogs(Settings());

        Assert.Contains(logs, r => r.Level == LogLevel.Warning
            && r.Message.Contains("Receiver:ClientCertificate:Mode is off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_DoesNotWarn_AndSaysWhatItTrusts_WhenTheCheckIsRequired()
    {
        var logs = await StartCollectingLogs(Settings(("Mode", "Required"), ("CaCertificates", _certificates.CaPem),
            ("Thumbprints", PushCertificates.Pin(_certificates.Valid))));

        Assert.DoesNotContain(logs, r => r.Message.Contains("ClientCertificate:Mode is off", StringComparison.Ordinal));
        Assert.Contains(logs, r => r.Message.Contains("1 CA certificate(s), 1 pinned thumbprint(s)", StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<FakeLogRecord>> StartCollectingLogs(Dictionary<string, string?> settings)
    {
        var logs = new FakeLogCollector();
        await using (await FunctionsTestHost.StartAsync(settings, services => services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)))))
        {
        }

        return logs.GetSnapshot();
    }
}
