using Azure;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>What a counter row counts of one sub-task: its phase, and while it is not settled the minute of its last push.</summary>
internal readonly record struct CountedState(string Phase, bool Active, long Minute)
{
    public static long MinuteOf(DateTimeOffset time) => time.UtcTicks / TimeSpan.TicksPerMinute;

    public static CountedState Of(SubTaskState state) =>
        new(state.Phase.NameOrNone(), state.Phase?.IsSettled() != true, MinuteOf(state.LastUpdate));

    public static CountedState Of(TableEntity subTaskRow)
    {
        var phase = UpgradePhases.Parse(subTaskRow.GetString("Phase"));
        return new(phase.NameOrNone(), phase?.IsSettled() != true, MinuteOf(subTaskRow.GetDateTimeOffset("LastUpdate") ?? default));
    }
}

/// <summary>
/// One counter row (<c>c|{shard}</c> in a bucket partition): how many of the shard's sub-tasks are in each phase, and
/// how many of its unsettled ones had their last push in each minute, so that "stalled" is counted from these rows
/// alone. A sub-task always counts in the same shard, so no figure is ever negative and a minute whose count falls to
/// zero disappears: the histogram holds at most one entry per unsettled sub-task of the shard.
/// </summary>
internal sealed class CounterShard
{
    private readonly Dictionary<string, int> _phases;
    private readonly SortedDictionary<long, int> _activeByMinute;

    public CounterShard()
    {
        _phases = UpgradePhases.Names.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        _activeByMinute = [];
    }

    private CounterShard(Dictionary<string, int> phases, SortedDictionary<long, int> activeByMinute, ETag etag)
    {
        _phases = phases;
        _activeByMinute = activeByMinute;
        ETag = etag;
    }

    public ETag ETag { get; set; }

    public IReadOnlyDictionary<string, int> Phases => _phases;

    public CounterShard Clone() => new(new Dictionary<string, int>(_phases, StringComparer.Ordinal), new SortedDictionary<long, int>(_activeByMinute), ETag);

    public void Add(CountedState state, int sign)
    {
        _phases[state.Phase] = _phases.GetValueOrDefault(state.Phase) + sign;
        if (state.Active)
        {
            var count = _activeByMinute.GetValueOrDefault(state.Minute) + sign;
            if (count == 0)
            {
                _activeByMinute.Remove(state.Minute);
            }
            else
            {
                _activeByMinute[state.Minute] = count;
            }
        }
    }

    /// <summary>Moves one sub-task from what it was counted as (nothing when new) to what it is now; false when that changes nothing.</summary>
    public bool Move(CountedState? from, CountedState to)
    {
        if (from == to)
        {
            return false;
        }

        if (from is { } before)
        {
            Add(before, -1);
        }

        Add(to, +1);
        return true;
    }

    /// <summary>Unsettled sub-tasks whose last push was before the minute <paramref name="cutoffMinute"/>.</summary>
    public int ActiveBefore(long cutoffMinute)
    {
        var count = 0;
        foreach (var (minute, n) in _activeByMinute)
        {
            if (minute >= cutoffMinute)
            {
                break;
            }

            count += n;
        }

        return count;
    }

    public TableEntity ToEntity(string partition, string row)
    {
        var entity = new TableEntity(partition, row);
        foreach (var (phase, count) in _phases)
        {
            entity[phase] = count;
        }

        entity["ActiveByMinute"] = EncodeHistogram(_activeByMinute);
        return entity;
    }

    public static CounterShard From(TableEntity entity)
    {
        var phases = UpgradePhases.Names.ToDictionary(n => n, n => entity.GetInt32(n) ?? 0, StringComparer.Ordinal);
        return new CounterShard(phases, DecodeHistogram(entity.GetBinary("ActiveByMinute") ?? []), entity.ETag);
    }

    /// <summary>Pairs of (minutes after the previous entry, count) as unsigned LEB128: ~4 bytes per unsettled minute.</summary>
    private static byte[] EncodeHistogram(SortedDictionary<long, int> histogram)
    {
        using var stream = new MemoryStream();
        var previous = 0L;
        foreach (var (minute, count) in histogram)
        {
            WriteVarint(stream, (ulong)(minute - previous));
            WriteVarint(stream, (ulong)count);
            previous = minute;
        }

        return stream.ToArray();
    }

    private static SortedDictionary<long, int> DecodeHistogram(byte[] bytes)
    {
        var histogram = new SortedDictionary<long, int>();
        var position = 0;
        var minute = 0L;
        while (position < bytes.Length)
        {
            minute += (long)ReadVarint(bytes, ref position);
            histogram[minute] = (int)ReadVarint(bytes, ref position);
        }

        return histogram;
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }

    private static ulong ReadVarint(byte[] bytes, ref int position)
    {
        ulong value = 0;
        var shift = 0;
        byte b;
        do
        {
            b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        return value;
    }
}
