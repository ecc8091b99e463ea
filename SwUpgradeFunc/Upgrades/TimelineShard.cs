using Azure;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>What one minute of a timeline row holds: settles by outcome, and pushes recorded.</summary>
public readonly record struct MinuteCounts(int Succeeded, int Failed, int Pushes)
{
    public bool IsZero => Succeeded == 0 && Failed == 0 && Pushes == 0;

    public static MinuteCounts operator +(MinuteCounts a, MinuteCounts b) =>
        new(a.Succeeded + b.Succeeded, a.Failed + b.Failed, a.Pushes + b.Pushes);
}

/// <summary>
/// Where a sub-task counts on its task's timeline. A settled sub-task counts once, as succeeded or failed, in the minute
/// it settled (<see cref="SubTaskState.SettledAt"/>: when the receiver took the result push, or the platform's stop time
/// for a reconciliation); a push counts in the minute the receiver took it, once, when it is recorded (not a duplicate).
/// Like the counters, a write moves the sub-task's settle from what its stored row counted to what its new state counts,
/// so redeliveries, reordering and several processors leave the totals exact.
/// </summary>
internal static class TimelineCounting
{
    /// <summary>Marks a sub-task row whose settle is counted on the timeline (rows written before the timeline are not).</summary>
    public const string CountedColumn = "InTimeline";

    public static (long Minute, MinuteCounts Counts)? SettleOf(SubTaskState state) =>
        SettleOf(state.Phase, Earlier(state.SettledAt, state.LastUpdate));

    public static (long Minute, MinuteCounts Counts)? SettleOf(TableEntity subTaskRow) =>
        subTaskRow.GetBoolean(CountedColumn) == true
            ? SettleOf(UpgradePhases.Parse(subTaskRow.GetString("Phase")),
                Earlier(subTaskRow.GetDateTimeOffset("SettledAt"), subTaskRow.GetDateTimeOffset("LastUpdate") ?? default))
            : null;

    /// <summary>
    /// A platform's stop time ahead of the receiver's clock counts when the receiver took the sub-task's last push, so
    /// that no settle is ever counted after the newest push (and the timeline's read needs no day after today).
    /// </summary>
    private static DateTimeOffset Earlier(DateTimeOffset? settledAt, DateTimeOffset lastUpdate) =>
        settledAt is { } at && at < lastUpdate ? at : lastUpdate;

    private static (long Minute, MinuteCounts Counts)? SettleOf(UpgradePhase? phase, DateTimeOffset settledAt) => phase switch
    {
        UpgradePhase.Succeeded => (CountedState.MinuteOf(settledAt), new MinuteCounts(1, 0, 0)),
        UpgradePhase.Failed => (CountedState.MinuteOf(settledAt), new MinuteCounts(0, 1, 0)),
        _ => null,
    };

    /// <summary>The per-minute changes of one write: the old settle out, the new one in, and the push when it is recorded.</summary>
    public static Dictionary<long, MinuteCounts> Changes((long Minute, MinuteCounts Counts)? before, (long Minute, MinuteCounts Counts)? after,
        long? pushMinute)
    {
        var changes = new Dictionary<long, MinuteCounts>();
        void Add(long minute, MinuteCounts delta) => changes[minute] = changes.GetValueOrDefault(minute) + delta;
        if (before is { } old)
        {
            Add(old.Minute, new MinuteCounts(-old.Counts.Succeeded, -old.Counts.Failed, 0));
        }

        if (after is { } now)
        {
            Add(now.Minute, now.Counts);
        }

        if (pushMinute is { } minute)
        {
            Add(minute, new MinuteCounts(0, 0, 1));
        }

        foreach (var zero in changes.Where(c => c.Value.IsZero).Select(c => c.Key).ToList())
        {
            changes.Remove(zero);
        }

        return changes;
    }
}

/// <summary>
/// One timeline row (<c>m|{yyyyMMdd}|{shard}</c> in a bucket partition): per minute of one UTC day, how many of the
/// shard's sub-tasks settled (succeeded, failed) and how many of their pushes were recorded. At most 1,440 entries of a
/// few bytes each, so a row stays far below the 64 KB a binary column holds.
/// </summary>
internal sealed class TimelineShard
{
    private const string MinutesColumn = "Minutes";

    private readonly SortedDictionary<long, MinuteCounts> _minutes;

    public TimelineShard()
        : this([], default, exists: false)
    {
    }

    private TimelineShard(SortedDictionary<long, MinuteCounts> minutes, ETag etag, bool exists)
    {
        _minutes = minutes;
        ETag = etag;
        Exists = exists;
    }

    public ETag ETag { get; set; }

    /// <summary>False until the row is stored: its first write adds it.</summary>
    public bool Exists { get; set; }

    public IReadOnlyDictionary<long, MinuteCounts> Minutes => _minutes;

    public TimelineShard Clone() => new(new SortedDictionary<long, MinuteCounts>(_minutes), ETag, Exists);

    public void Add(long minute, MinuteCounts delta)
    {
        var counts = _minutes.GetValueOrDefault(minute) + delta;
        if (counts.IsZero)
        {
            _minutes.Remove(minute);
        }
        else
        {
            _minutes[minute] = counts;
        }
    }

    public TableEntity ToEntity(string partition, string row) => new(partition, row) { [MinutesColumn] = Encode(_minutes) };

    public static TimelineShard From(TableEntity entity) =>
        new(Decode(entity.GetBinary(MinutesColumn) ?? []), entity.ETag, exists: true);

    /// <summary>Per minute: minutes after the previous entry, then the three counts (zigzag), as LEB128 varints.</summary>
    private static byte[] Encode(SortedDictionary<long, MinuteCounts> minutes)
    {
        using var stream = new MemoryStream();
        var previous = 0L;
        foreach (var (minute, counts) in minutes)
        {
            Varint.Write(stream, (ulong)(minute - previous));
            Varint.Write(stream, Varint.ZigZag(counts.Succeeded));
            Varint.Write(stream, Varint.ZigZag(counts.Failed));
            Varint.Write(stream, Varint.ZigZag(counts.Pushes));
            previous = minute;
        }

        return stream.ToArray();
    }

    private static SortedDictionary<long, MinuteCounts> Decode(byte[] bytes)
    {
        var minutes = new SortedDictionary<long, MinuteCounts>();
        var position = 0;
        var minute = 0L;
        while (position < bytes.Length)
        {
            minute += (long)Varint.Read(bytes, ref position);
            var succeeded = Varint.UnZigZag(Varint.Read(bytes, ref position));
            var failed = Varint.UnZigZag(Varint.Read(bytes, ref position));
            var pushes = Varint.UnZigZag(Varint.Read(bytes, ref position));
            minutes[minute] = new MinuteCounts(succeeded, failed, pushes);
        }

        return minutes;
    }
}
