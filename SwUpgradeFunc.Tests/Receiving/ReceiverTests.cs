using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Receiving;

/// <summary>
/// Base of the receiver's unit tests: a receiver over a recording queue, a fixed clock, a recording logger and its own
/// meters, so a test reads back exactly what one receiver enqueued, logged and counted.
/// </summary>
public abstract class ReceiverTests : IDisposable
{
    protected static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 30, 0, TimeSpan.Zero);

    protected ReceiverTests()
    {
        PushMetrics = new MetricCollector<long>(Meters, SwUpgradeMetrics.MeterName, SwUpgradeMetrics.PushesReceived);
    }

    protected RecordingQueue Queue { get; } = new();

    protected FakeTimeProvider Time { get; } = new(Now);

    protected FakeLogger<NotificationReceiver> Logger { get; } = new();

    protected TestMeterFactory Meters { get; } = new();

    protected MetricCollector<long> PushMetrics { get; }

    protected NotificationReceiver Receiver(Action<ReceiverOptions>? configure = null, ClientCertificateOptions? clientCertificates = null)
    {
        var options = new ReceiverOptions();
        configure?.Invoke(options);
        var check = new ClientCertificateCheck(Options.Create(clientCertificates ?? new ClientCertificateOptions()), Time);
        return new NotificationReceiver(Queue, Options.Create(options), Time, new SwUpgradeMetrics(Meters), Logger, check);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            PushMetrics.Dispose();
            Meters.Dispose();
        }
    }
}
