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

    /// <summary>Spans of up to this many days are read by point reads (96 a day), longer ones by one query per bucket.</summary>
    public const int PointReadDays = 3;

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
        await foreach (var shard in ReadRowsAsync(operationId, firstStart / 1440, nowMinute / 1440, cancellationToken).ConfigureAwait(false))
        {
            lock (gate)
            {
                foreach (var (minute, counts) in shard.Minutes)
                {
                    // A push the receiver took ahead of this clock counts in the last interval; those before the first in the "before" figures.
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

    /// <summary>
    /// The task's timeline rows of the days from <paramref name="firstDay"/> to <paramref name="lastDay"/> (days since
    /// 0001-01-01). Up to <see cref="PointReadDays"/> days, point reads of the 96 known keys per day, 32 at a time: their
    /// cost does not depend on the table at all. Beyond, one key range query per bucket, 32 at a time (a range read in
    /// Azure Table storage).
    /// </summary>
    private async IAsyncEnumerable<TimelineShard> ReadRowsAsync(string operationId, long firstDay, long lastDay,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rows = System.Threading.Channels.Channel.CreateUnbounded<TimelineShard>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = StorageKeys.Buckets, CancellationToken = cancellationToken };
        var reading = (lastDay - firstDay + 1 <= PointReadDays
            ? Parallel.ForEachAsync(
                from day in Enumerable.Range(0, (int)(lastDay - firstDay + 1))
                from bucket in Enumerable.Range(0, StorageKeys.Buckets)
                from shard in Enumerable.Range(0, StorageKeys.CounterShards)
                select (Partition: StorageKeys.TaskPartition(operationId, bucket), Row: StorageKeys.TimelineRow((firstDay + day) * 1440, shard)),
                options, async (key, ct) =>
                {
                    // Without a column list: with one, the reads of a 10,000-sub-task task took 5x as long on Azurite (performance.md).
                    var read = await table.GetEntityIfExistsAsync<TableEntity>(key.Partition, key.Row, cancellationToken: ct).ConfigureAwait(false);
                    if (read.HasValue)
                    {
                        await rows.Writer.WriteAsync(TimelineShard.From(read.Value!), ct).ConfigureAwait(false);
                    }
                })
            : Parallel.ForEachAsync(Enumerable.Range(0, StorageKeys.Buckets), options, async (bucket, ct) =>
                {
                    var filter = $"PartitionKey eq '{Quote(StorageKeys.TaskPartition(operationId, bucket))}' and " +
                        $"RowKey ge '{StorageKeys.TimelineDay(firstDay * 1440)}|' and RowKey lt '{StorageKeys.TimelineDay(lastDay * 1440)}}}'";
                    await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, Columns, ct).ConfigureAwait(false))
                    {
                        await rows.Writer.WriteAsync(TimelineShard.From(row), ct).ConfigureAwait(false);
                    }
                }))
            .ContinueWith(done => rows.Writer.Complete(done.Exception?.GetBaseException()), TaskScheduler.Default);
        await foreach (var row in rows.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }

        await reading.ConfigureAwait(false);
    }

    private static DateTimeOffset At(long minute) => new(minute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
