namespace SwUpgrade.Cli.Simulation;

/// <summary>Collects latencies from many senders and answers nearest-rank percentiles.</summary>
public sealed class LatencyRecorder
{
    private readonly List<double> _milliseconds = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _milliseconds.Count;
            }
        }
    }

    public void Record(TimeSpan latency)
    {
        lock (_lock)
        {
            _milliseconds.Add(latency.TotalMilliseconds);
        }
    }

    /// <summary>The nearest-rank percentile (0 &lt; p &lt;= 100) in milliseconds; NaN when nothing was recorded.</summary>
    public double Percentile(double p)
    {
        if (p is <= 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A percentile is more than 0 and at most 100.");
        }

        double[] sorted;
        lock (_lock)
        {
            sorted = [.. _milliseconds];
        }

        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
