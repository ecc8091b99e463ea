using System.Diagnostics.Metrics;
using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Metrics;
using Microsoft.Extensions.Hosting;

namespace SwUpgradeFunc.Observability;

/// <summary>
/// Application Insights 2.x does not collect System.Diagnostics.Metrics instruments, so this forwards the app's meter
/// to pre-aggregated Application Insights metrics (namespace SwUpgradeFunc, tags as dimensions) that an operator can
/// chart and alert on.
/// </summary>
internal sealed class MetricsToApplicationInsights(TelemetryClient telemetry, IMeterFactory meterFactory)
    : IHostedService, IDisposable
{
    private readonly MeterListener _listener = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only the app's own meter, created by the app's factory: not a same-named meter of another component.
            if (instrument.Meter.Name == SwUpgradeMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Track(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Track(instrument, value, tags));
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _listener.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _listener.Dispose();

    private void Track(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = tags[i].Key;
            values[i] = tags[i].Value?.ToString() ?? "";
        }

        var metric = telemetry.GetMetric(new MetricIdentifier(SwUpgradeMetrics.MeterName, instrument.Name, names));
        switch (values.Length)
        {
            case 0: metric.TrackValue(value); break;
            case 1: metric.TrackValue(value, values[0]); break;
            case 2: metric.TrackValue(value, values[0], values[1]); break;
            default: metric.TrackValue(value, values[0], values[1], values[2]); break;
        }
    }
}
