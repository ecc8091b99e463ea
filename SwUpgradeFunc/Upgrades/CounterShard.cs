using Azure;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// What a counter row counts of one sub-task: its phase, while it is not settled the minute of its last push, and once
/// settled its source version (<c>""</c> when the result carried none; null when not counted by version: not settled, or
/// a settled row written before the counter rows counted versions, see <see cref="VersionCounting"/>).
/// </summary>
internal readonly record struct CountedState(string Phase, bool Active, long Minute, string? Version = null)
{
    public static long MinuteOf(DateTimeOffset time) => time.UtcTicks / TimeSpan.TicksPerMinute;

    public static CountedState Of(SubTaskState state)
    {
        var settled = state.Phase?.IsSettled() == true;
        return new(state.Phase.NameOrNone(), !settled, MinuteOf(state.LastUpdate), settled ? state.SourceVersion ?? "" : null);
    }

    public static CountedState Of(TableEntity subTaskRow)
    {
        var phase = UpgradePhases.Parse(subTaskRow.GetString("Phase"));
        var settled = phase?.IsSettled() == true;
        var version = settled && subTaskRow.GetBoolean(VersionCounting.CountedColumn) == true ? subTaskRow.GetString("SourceVersion") ?? "" : null;
        return new(phase.NameOrNone(), !settled, MinuteOf(subTaskRow.GetDateTimeOffset("LastUpdate") ?? default), version);
    }
}

/// <summary>How the counter rows count settled sub-tasks per source version (docs/store.md).</summary>
internal static class VersionCounting
{
    /// <summary>Marks a sub-task row whose settle is counted by version (settled rows written before versions were counted are not).</summary>
    public const string CountedColumn = "InVersions";

    /// <summary>
    /// Versions one counter row names; the settles of any further version count in its <c>OtherVersions*</c> columns. 40
    /// versions of the longest accepted (256 UTF-16 characters, at most 768 UTF-8 bytes) stay within a binary column's 64 KiB.
    /// </summary>
    public const int MaxVersionsPerShard = 40;

    /// <summary>Longer versions (none the receiver accepts) are never named, so that the column's bound holds whatever a state carries.</summary>
    public const int MaxNamedLength = Notifications.NotificationParser.MaxIdentifierLength;
}

/// <summary>A version's settled sub-tasks in one counter row.</summary>
internal readonly record struct VersionCounts(int Succeeded, int Failed)
{
    public int Settled => Succeeded + Failed;

    public VersionCounts Plus(VersionCounts other) => new(Succeeded + other.Succeeded, Failed + other.Failed);
}

/// <summary>
/// One counter row (<c>c|{shard}</c> in a bucket partition): how many of the shard's sub-tasks are in each phase, and
/// how many of its unsettled ones had their last push in each minute, so that "stalled" is counted from these rows
/// alone. A sub-task always counts in the same shard, so no figure is ever negative and a minute whose count falls to
/// zero disappears: the histogram holds at most one entry per unsettled sub-task of the shard. It also counts the
/// settled sub-tasks per source version, up to <see cref="VersionCounting.MaxVersionsPerShard"/> named versions, the
/// rest in <see cref="OtherVersions"/>.
/// </summary>
internal sealed class CounterShard
{
    private const string VersionsColumn = "SettledByVersion";
    private const string OtherSucceededColumn = "OtherVersionsSucceeded";
    private const string OtherFailedColumn = "OtherVersionsFailed";
    private const string KeepsFailedListColumn = "KeepsFailedList";

    private readonly Dictionary<string, int> _phases;
    private readonly SortedDictionary<long, int> _activeByMinute;
    private readonly SortedDictionary<string, VersionCounts> _versions;

    public CounterShard()
    {
        _phases = UpgradePhases.Names.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        _activeByMinute = [];
        _versions = new SortedDictionary<string, VersionCounts>(StringComparer.Ordinal);
    }

    private CounterShard(Dictionary<string, int> phases, SortedDictionary<long, int> activeByMinute,
        SortedDictionary<string, VersionCounts> versions, VersionCounts otherVersions, ETag etag)
    {
        _phases = phases;
        _activeByMinute = activeByMinute;
        _versions = versions;
        OtherVersions = otherVersions;
        ETag = etag;
    }

    public ETag ETag { get; set; }

    /// <summary>
    /// Whether the bucket's failed list (<see cref="FailedList"/>) holds every failed sub-task this row counts. Set when
    /// the bucket is set up with no earlier rows, and kept by this version's writes only: a writer that does not know the
    /// list rewrites the row without the column, and from then on the bucket's failed page is read from its index rows.
    /// </summary>
    public bool KeepsFailedList { get; set; }

    public IReadOnlyDictionary<string, int> Phases => _phases;

    /// <summary>Settled sub-tasks per named source version (a version may show zero while <see cref="OtherVersions"/> is not).</summary>
    public IReadOnlyDictionary<string, VersionCounts> Versions => _versions;

    /// <summary>Settled sub-tasks of the versions beyond the named ones.</summary>
    public VersionCounts OtherVersions { get; private set; }

    public CounterShard Clone() => new(new Dictionary<string, int>(_phases, StringComparer.Ordinal), new SortedDictionary<long, int>(_activeByMinute),
        new SortedDictionary<string, VersionCounts>(_versions, StringComparer.Ordinal), OtherVersions, ETag)
    { KeepsFailedList = KeepsFailedList };

    public void Add(CountedState state, int sign)
    {
        _phases[state.Phase] = _phases.GetValueOrDefault(state.Phase) + sign;
        if (state.Version is { } version)
        {
            AddVersion(version, state.Phase == UpgradePhase.Succeeded.Name() ? new VersionCounts(sign, 0) : new VersionCounts(0, sign));
        }

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

    /// <summary>
    /// A version's settles count under its name when it is named or there is room for it, else in
    /// <see cref="OtherVersions"/>. While that holds any, the named versions stay as they are (even at zero), so that a
    /// version counted there is never named later and each removal finds the settle where it was added; once it is
    /// empty, the versions at zero make room again.
    /// </summary>
    private void AddVersion(string version, VersionCounts delta)
    {
        if (_versions.TryGetValue(version, out var named))
        {
            _versions[version] = named.Plus(delta);
        }
        else if (OtherVersions.Settled == 0 && _versions.Count >= VersionCounting.MaxVersionsPerShard)
        {
            foreach (var empty in _versions.Where(v => v.Value.Settled == 0).Select(v => v.Key).ToList())
            {
                _versions.Remove(empty);
            }
        }

        if (!_versions.ContainsKey(version))
        {
            if (_versions.Count < VersionCounting.MaxVersionsPerShard && version.Length <= VersionCounting.MaxNamedLength)
            {
                _versions[version] = delta;
            }
            else
            {
                OtherVersions = OtherVersions.Plus(delta);
            }
        }

        if (OtherVersions.Settled == 0 && _versions.TryGetValue(version, out var now) && now == default)
        {
            _versions.Remove(version);
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
        entity[VersionsColumn] = EncodeVersions(_versions);
        entity[OtherSucceededColumn] = OtherVersions.Succeeded;
        entity[OtherFailedColumn] = OtherVersions.Failed;
        if (KeepsFailedList)
        {
            entity[KeepsFailedListColumn] = true;
        }

        return entity;
    }

    public static CounterShard From(TableEntity entity)
    {
        var phases = UpgradePhases.Names.ToDictionary(n => n, n => entity.GetInt32(n) ?? 0, StringComparer.Ordinal);
        var other = new VersionCounts(entity.GetInt32(OtherSucceededColumn) ?? 0, entity.GetInt32(OtherFailedColumn) ?? 0);
        return new CounterShard(phases, DecodeHistogram(entity.GetBinary("ActiveByMinute") ?? []),
            DecodeVersions(entity.GetBinary(VersionsColumn) ?? []), other, entity.ETag)
        { KeepsFailedList = entity.GetBoolean(KeepsFailedListColumn) == true };
    }

    /// <summary>Per version in ordinal order: its UTF-8 length and bytes, then succeeded and failed, as unsigned LEB128.</summary>
    private static byte[] EncodeVersions(SortedDictionary<string, VersionCounts> versions)
    {
        using var stream = new MemoryStream();
        foreach (var (version, counts) in versions)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(version);
            Varint.Write(stream, (ulong)bytes.Length);
            stream.Write(bytes);
            Varint.Write(stream, (ulong)counts.Succeeded);
            Varint.Write(stream, (ulong)counts.Failed);
        }

        return stream.ToArray();
    }

    private static SortedDictionary<string, VersionCounts> DecodeVersions(byte[] bytes)
    {
        var versions = new SortedDictionary<string, VersionCounts>(StringComparer.Ordinal);
        var position = 0;
        while (position < bytes.Length)
        {
            var length = (int)Varint.Read(bytes, ref position);
            var version = System.Text.Encoding.UTF8.GetString(bytes, position, length);
            position += length;
            var succeeded = (int)Varint.Read(bytes, ref position);
            versions[version] = new VersionCounts(succeeded, (int)Varint.Read(bytes, ref position));
        }

        return versions;
    }

    /// <summary>Pairs of (minutes after the previous entry, count) as unsigned LEB128: ~4 bytes per unsettled minute.</summary>
    private static byte[] EncodeHistogram(SortedDictionary<long, int> histogram)
    {
        using var stream = new MemoryStream();
        var previous = 0L;
        foreach (var (minute, count) in histogram)
        {
            Varint.Write(stream, (ulong)(minute - previous));
            Varint.Write(stream, (ulong)count);
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
            minute += (long)Varint.Read(bytes, ref position);
            histogram[minute] = (int)Varint.Read(bytes, ref position);
        }

        return histogram;
    }
}
