using Azure.Data.Tables;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Storage;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// A task's timeline from its timeline rows: one key range per bucket over the days asked (32 queries in parallel), so
/// the read grows with buckets x days, never with the number of sub-tasks; the counts come from the counter rows.
/// </summary>
internal sealed class TimelineQueries(TableClient table, RetryableSetUp tableReady, TaskRows tasks, UpgradeStateQueries queries, TimeProvider time)
{
    /// <summary>Intervals in one answer at most (a day of minutes, 60 days of hours, about 4 years of days).</summary>
    public const int MaxIntervals = 1440;

    /// <summary>
    /// The settles from the start of the minute this span before now give the rate the projection uses (from the task's
    /// first minute when it is younger).
    /// </summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromHours(1);

    private static readonly string[] Columns = ["Minutes"];

    public async Task<TaskTimeline?> GetTimelineAsync(string operationId, TimelineInterval interval, TimeSpan stalledAfter,
        CancellationToken cancellationToken)
    {
        await tableReady.EnsureAsync().ConfigureAwait(false);
        var task = await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var nowMinute = CountedState.MinuteOf(now);
        var length = interval.Minutes;
        var lastStart = nowMinute - (nowMinute % length);
        var firstMinute = Math.Min(CountedState.MinuteOf(task.FirstUpdate), nowMinute);
        var firstStart = firstMinute - (firstMinute % length);
        var truncated = (lastStart - firstStart) / length + 1 > MaxIntervals;
        if (truncated)
        {
            firstStart = lastStart - ((MaxIntervals - 1L) * length);
        }

        var count = (int)((lastStart - firstStart) / length) + 1;
        var rateSince = Math.Max(CountedState.MinuteOf(now - RateWindow), firstMinute);
        var cutoff = (now - stalledAfter).UtcTicks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute;
        var summaryTask = queries.SummarizeAsync(task, stalledAfter, cutoff, cancellationToken);

        var points = new MinuteCounts[count];
        var recent = 0;
        var gate = new object();
        // One day past today: a reconciliation's settle counts at the platform's stop time, which a skewed clock may put ahead of ours.
        var range = $"RowKey ge '{StorageKeys.TimelineDay(firstStart)}|' and RowKey lt '{StorageKeys.TimelineDay(nowMinute + 1440)}}}'";
        await Parallel.ForEachAsync(Enumerable.Range(0, StorageKeys.Buckets),
            new ParallelOptions { MaxDegreeOfParallelism = StorageKeys.Buckets, CancellationToken = cancellationToken },
            async (bucket, ct) =>
            {
                var filter = $"PartitionKey eq '{Quote(StorageKeys.TaskPartition(operationId, bucket))}' and {range}";
                await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, Columns, ct).ConfigureAwait(false))
                {
                    var shard = TimelineShard.From(row);
                    lock (gate)
                    {
                        foreach (var (minute, counts) in shard.Minutes)
                        {
                            // Settles ahead of now count in the last interval; those before the first in the "before" figures.
                            var at = Math.Min(minute, nowMinute);
                            if (at >= firstStart)
                            {
                                points[(at - firstStart) / length] += counts;
                            }

                            if (at >= rateSince)
                            {
                                recent += counts.Succeeded + counts.Failed;
                            }
                        }
                    }
                }
            }).ConfigureAwait(false);

        var summary = await summaryTask.ConfigureAwait(false);
        var succeeded = summary.Phases[UpgradePhase.Succeeded.Name()];
        var failed = summary.Phases[UpgradePhase.Failed.Name()];
        var sinceTime = new DateTimeOffset(rateSince * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var elapsed = now - sinceTime < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : now - sinceTime;
        var rate = new TimelineRate(UpgradeStateStore.Iso(RateWindow), sinceTime, recent, Math.Round(recent / elapsed.TotalHours, 2));
        var eta = Project(now, elapsed, recent, summary.Active);
        return new TaskTimeline(operationId, interval.Name, At(firstStart), now, truncated, summary.Total, succeeded, failed, summary.Active,
            Math.Max(0, succeeded - points.Sum(p => p.Succeeded)), Math.Max(0, failed - points.Sum(p => p.Failed)), rate, eta,
            [.. points.Select((p, i) => new TimelinePoint(At(firstStart + ((long)i * length)), p.Succeeded, p.Failed, p.Pushes))]);
    }

    /// <summary>
    /// Now plus the time the unsettled sub-tasks take at the recent rate (settles in the window / the window's length);
    /// null when nothing is left to settle or nothing settled in the window: no rate, no honest projection.
    /// </summary>
    public static DateTimeOffset? Project(DateTimeOffset now, TimeSpan window, int recentSettles, int unsettled) =>
        unsettled <= 0 || recentSettles <= 0 ? null : now + (window * unsettled / recentSettles);

    private static DateTimeOffset At(long minute) => new(minute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
