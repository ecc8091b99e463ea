using System.Globalization;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>A statistic of a read's timings, as a column of the results table.</summary>
internal enum ReadStatistic
{
    Reads,
    Median,
    P90,
    Min,
    Max,
}

/// <summary>
/// The read suites' timings: every read run one at a time, interleaved round by round so that a drift of the machine
/// falls on all of them alike, after <see cref="WarmUpRounds"/> rounds that are not kept; printed as one Markdown row
/// per read, in the order the reads were named.
/// </summary>
internal sealed class ReadTimings<TRead>
    where TRead : notnull
{
    public const int WarmUpRounds = 3;

    private readonly Dictionary<TRead, List<double>> _ms;

    private ReadTimings(IEnumerable<TRead> reads) => _ms = reads.ToDictionary(r => r, _ => new List<double>());

    /// <summary>Runs <paramref name="rounds"/> kept rounds of every read; <paramref name="timedRead"/> answers one read's milliseconds.</summary>
    public static async Task<ReadTimings<TRead>> MeasureAsync(int rounds, IReadOnlyList<TRead> reads, Func<TRead, Task<double>> timedRead)
    {
        var timings = new ReadTimings<TRead>(reads);
        for (var i = -WarmUpRounds; i < rounds; i++)
        {
            foreach (var read in reads)
            {
                var ms = await timedRead(read).ConfigureAwait(false);
                if (i >= 0)
                {
                    timings._ms[read].Add(ms);
                }
            }
        }

        return timings;
    }

    public double Median(TRead read) => Report.Median(_ms[read]);

    /// <summary>
    /// The table: the caller's leading columns (<paramref name="leading"/>, each a header and its Markdown alignment,
    /// filled by <paramref name="leadingCells"/>), then the chosen statistics in ms.
    /// </summary>
    public void Print(Report report, IReadOnlyList<(string Header, string Alignment)> leading, Func<TRead, IEnumerable<string>> leadingCells,
        params ReadStatistic[] statistics)
    {
        report.Line(Row(leading.Select(c => c.Header).Concat(statistics.Select(HeaderOf))));
        report.Line($"|{string.Join("|", leading.Select(c => c.Alignment).Concat(statistics.Select(_ => "---:")))}|");
        foreach (var (read, values) in _ms)
        {
            var sorted = values.Order().ToArray();
            report.Line(Row(leadingCells(read).Concat(statistics.Select(s => CellOf(s, sorted)))));
        }
    }

    private static string Row(IEnumerable<string> cells) => $"| {string.Join(" | ", cells)} |";

    private static string HeaderOf(ReadStatistic statistic) => statistic switch
    {
        ReadStatistic.Reads => "reads",
        ReadStatistic.Median => "median ms",
        ReadStatistic.P90 => "p90 ms",
        ReadStatistic.Min => "min ms",
        _ => "max ms",
    };

    private static string CellOf(ReadStatistic statistic, double[] sorted) => statistic switch
    {
        ReadStatistic.Reads => sorted.Length.ToString(CultureInfo.InvariantCulture),
        ReadStatistic.Median => Ms(Report.Median(sorted)),
        ReadStatistic.P90 => Ms(sorted[(int)Math.Ceiling(0.9 * sorted.Length) - 1]),
        ReadStatistic.Min => Ms(sorted[0]),
        _ => Ms(sorted[^1]),
    };

    private static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
