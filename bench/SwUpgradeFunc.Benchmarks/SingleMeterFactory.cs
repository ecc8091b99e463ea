using System.Diagnostics.Metrics;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>A meter factory without listeners, as in production when no exporter samples an instrument.</summary>
internal sealed class SingleMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, this);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
