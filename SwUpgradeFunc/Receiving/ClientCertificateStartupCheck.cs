using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SwUpgradeFunc.Receiving;

/// <summary>Says at start-up whether the callback checks the platform's certificate, so an open callback is a visible choice.</summary>
internal sealed partial class ClientCertificateStartupCheck(
    IOptions<ClientCertificateOptions> options, ILogger<ClientCertificateStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var value = options.Value;
        if (!value.IsRequired)
        {
            LogOpen();
        }
        else if (ClientCertificateTrust.TryLoad(value, out var trust, out _))
        {
            LogRequired(trust.Roots.Count + trust.Intermediates.Count, trust.Pins.Count, value.ExpectedSubject.Length > 0);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning,
        Message = "Receiver:ClientCertificate:Mode is off: the callback accepts pushes from any caller that reaches it. " +
            "Set it to 'required' with the platform's CA or certificate thumbprints.")]
    private partial void LogOpen();

    [LoggerMessage(EventId = 103, Level = LogLevel.Information,
        Message = "The callback requires a client certificate: {CaCount} CA certificate(s), {PinCount} pinned thumbprint(s), expected subject set: {HasSubject}")]
    private partial void LogRequired(int caCount, int pinCount, bool hasSubject);
}
