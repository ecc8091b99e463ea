using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SwUpgradeFunc.Receiving;

/// <summary>Says at start-up when the receiver accepts every appId, so an open receiver is a visible choice.</summary>
internal sealed partial class ReceiverStartupCheck(IOptions<ReceiverOptions> options, ILogger<ReceiverStartupCheck> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var allowed = options.Value.AllowedAppIdSet();
        if (allowed.Count == 0)
        {
            LogOpen();
        }
        else
        {
            LogRestricted(allowed.Count);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning,
        Message = "Receiver:AllowedAppIds is empty: pushes for any appId are accepted. Set it to the platform appId(s) of this deployment.")]
    private partial void LogOpen();

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "The receiver accepts pushes for {Count} appId(s)")]
    private partial void LogRestricted(int count);
}
