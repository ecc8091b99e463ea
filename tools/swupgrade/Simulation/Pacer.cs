namespace SwUpgrade.Cli.Simulation;

/// <summary>
/// Spaces pushes evenly at a target rate: push i is due at i / rate seconds after the start. Being behind does not
/// make the sender burst above the rate for long: it sends as fast as the concurrency allows until it is on time.
/// </summary>
public static class Pacer
{
    public static TimeSpan DueAt(int sequence, double rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        return TimeSpan.FromSeconds(sequence / rate);
    }

    /// <summary>How many pushes are due (may have been sent) after <paramref name="elapsed"/>.</summary>
    public static int DueBy(TimeSpan elapsed, double rate, int total)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        if (elapsed < TimeSpan.Zero)
        {
            return 0;
        }

        var due = Math.Floor(elapsed.TotalSeconds * rate) + 1;
        return due >= total ? total : (int)due;
    }
}
