using System.Diagnostics;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>The outcome of one bounded load run.</summary>
internal sealed record LoadResult(string Name, int Completed, int Failed, TimeSpan Elapsed, double P50Ms, double P95Ms,
    double P99Ms, string? FirstError)
{
    public double PerSecond => Completed / Elapsed.TotalSeconds;
}

/// <summary>
/// Runs one operation a fixed number of times with a fixed concurrency, stopping early at a time limit: the
/// harness for throughput ratios, where a baseline and the measured path run back to back against the same server.
/// </summary>
internal static class LoadRun
{
    public static async Task<LoadResult> RunAsync(string name, int count, int concurrency, TimeSpan limit,
        Func<int, CancellationToken, Task> operation)
    {
        var latencies = new long[count];
        var next = -1;
        var completed = 0;
        var failed = 0;
        string? firstError = null;
        using var timeout = new CancellationTokenSource(limit);
        var clock = Stopwatch.StartNew();

        async Task Worker()
        {
            int index;
            while (!timeout.IsCancellationRequested && (index = Interlocked.Increment(ref next)) < count)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await operation(index, timeout.Token).ConfigureAwait(false);
                    latencies[index] = Stopwatch.GetTimestamp() - started;
                    Interlocked.Increment(ref completed);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    latencies[index] = -1;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    latencies[index] = -1;
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
                }
            }
        }

        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        clock.Stop();

        var done = latencies.Where(l => l > 0).Order().ToArray();
        return new LoadResult(name, completed, failed, clock.Elapsed, Percentile(done, 0.50), Percentile(done, 0.95),
            Percentile(done, 0.99), firstError);
    }

    private static double Percentile(long[] sortedTicks, double quantile)
    {
        if (sortedTicks.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(quantile * sortedTicks.Length) - 1;
        return sortedTicks[Math.Clamp(rank, 0, sortedTicks.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
