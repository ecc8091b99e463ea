using System.Security.Cryptography;
using System.Text;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// Table keys. A task's sub-tasks are spread over <see cref="Buckets"/> partitions (by a hash of the sub-task id) so
/// that a 100,000-device task at 800 pushes/s never drives one partition near its ~2,000 operations/s, and so that the
/// status API can count a task's phases by reading its partitions in parallel.
/// </summary>
public static class StorageKeys
{
    public const int Buckets = 32;
    public const string SubTaskRowPrefix = "s|";

    /// <summary>The first row key after every sub-task row ('}' follows '|').</summary>
    public const string SubTaskRowEnd = "s}";

    /// <summary>
    /// Counter rows per bucket of a task set up by this version; a sub-task always counts in the same one
    /// (<see cref="ShardOf"/>). The task row records its task's number, since tasks set up earlier have 4.
    /// </summary>
    public const int CounterShards = 3;

    /// <summary>The counter rows per bucket of a task whose task row does not say (set up before it recorded the number).</summary>
    public const int EarlierCounterShards = 4;

    /// <summary>The partition of the task rows and of their most-recent-activity index.</summary>
    public const string TasksPartition = "tasks";

    public const string TaskActivityPrefix = "r|";

    /// <summary>The first row key after every task activity row.</summary>
    public const string TaskActivityEnd = "r}";

    public static string TaskPartition(string operationId, int bucket) => $"op|{Escape(operationId)}|{bucket:D2}";

    public static string TaskPartition(string operationId, string subOperationId) =>
        TaskPartition(operationId, BucketOf(subOperationId));

    public static string SubTaskRow(string subOperationId) => SubTaskRowPrefix + Escape(subOperationId);

    public static string CounterRow(int shard) => $"c|{shard}";

    public static int ShardOf(string subOperationId, int shards) => (int)(Fnv(subOperationId) / Buckets % (uint)shards);

    public const string PhaseIndexPrefix = "p|";

    /// <summary>The first row key after every phase index row.</summary>
    public const string PhaseIndexEnd = "p}";

    /// <summary>
    /// A sub-task's one index row. Settled: <c>p|{phase}|{sub}</c>. Not settled: <c>p|{phase}|{minute}|{sub}</c>, the
    /// minute of its last push as 19-digit ticks, so that within a phase the rows sort oldest first and "stalled" is a
    /// key range. The key changes exactly when what the counter rows count of the sub-task changes (phase, settled,
    /// minute): a push moves the row only when it moves the counts.
    /// </summary>
    internal static string IndexRow(CountedState counted, string subOperationId) => counted.Active
        ? $"p|{counted.Phase}|{counted.Minute * TimeSpan.TicksPerMinute:D19}|{Escape(subOperationId)}"
        : $"p|{counted.Phase}|{Escape(subOperationId)}";

    public static string PhaseIndexStart(string phase) => $"p|{phase}|";

    public static string PhaseIndexStop(string phase) => $"p|{phase}}}";

    /// <summary>Below this key, the unsettled rows of the phase whose last push was before <paramref name="cutoffTicks"/> (a whole minute).</summary>
    public static string StalledStop(string phase, long cutoffTicks) => $"p|{phase}|{cutoffTicks:D19}";

    public static string TaskRow(string operationId) => "t|" + Escape(operationId);

    /// <summary>Most recent first: the key holds the time left until DateTimeOffset.MaxValue.</summary>
    public static string TaskActivityRow(DateTimeOffset lastUpdate, string operationId) =>
        $"r|{DateTimeOffset.MaxValue.UtcTicks - lastUpdate.UtcTicks:D19}|{Escape(operationId)}";

    /// <summary>
    /// The first activity row key of the tasks last active before <paramref name="since"/>: the rows before it (most
    /// recent first) are the tasks active since then, so "active within a window" is one key range.
    /// </summary>
    public static string TaskActivityBefore(DateTimeOffset since) =>
        $"r|{DateTimeOffset.MaxValue.UtcTicks - since.UtcTicks:D19}}}";

    /// <summary>
    /// A task's reconciliation back-off row in the tasks partition: its own prefix keeps it out of the task rows
    /// (<c>t|</c>) and the activity range (<c>r|</c> to <c>r}</c>) that the task list reads.
    /// </summary>
    public static string ReconcileBackOffRow(string operationId) => ReconcileBackOffPrefix + Escape(operationId);

    public const string ReconcileBackOffPrefix = "k|";

    public const string TaskTombstonePrefix = "x|";

    /// <summary>The first row key after every tombstone row.</summary>
    public const string TaskTombstoneEnd = "x}";

    /// <summary>Written when a task's deletion starts, in the tasks partition (docs/store.md, "Deleting a task").</summary>
    public static string TaskTombstoneRow(string operationId) => TaskTombstonePrefix + Escape(operationId);
    public const string TimelineRowPrefix = "m|";

    /// <summary>The first row key after every timeline row.</summary>
    public const string TimelineRowEnd = "m}";

    /// <summary>
    /// A timeline row (<c>m|{yyyyMMdd}|{shard}</c>): per minute of one UTC day, the shard's settles and pushes. Sorted by
    /// day, so a span of days is one key range per bucket.
    /// </summary>
    public static string TimelineRow(long minute, int shard) => $"{TimelineDay(minute)}|{shard}";

    /// <summary>The key prefix of one UTC day's timeline rows (<c>m|{yyyyMMdd}</c>), for key ranges.</summary>
    public static string TimelineDay(long minute) =>
        TimelineRowPrefix + new DateTime(minute * TimeSpan.TicksPerMinute, DateTimeKind.Utc).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

    public static string DevicePartition(string deviceId) => $"dev|{Escape(deviceId)}";

    /// <summary>One index row per sub-task of the device; a hash keeps the key short whatever the ids' length.</summary>
    public static string DeviceRow(string operationId, string subOperationId) =>
        "t|" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(operationId + "\n" + subOperationId)));

    public static int BucketOf(string subOperationId) => (int)(Fnv(subOperationId) % Buckets);

    /// <summary>FNV-1a: stable across processes and versions, unlike string.GetHashCode.</summary>
    private static uint Fnv(string value)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    /// <summary>Percent-encodes what a table key may not hold ('/', '\', '#', '?', control characters) and our separators.</summary>
    public static string Escape(string value)
    {
        StringBuilder? builder = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var bad = c is '/' or '\\' or '#' or '?' or '%' or '|' or '~' || char.IsControl(c);
            if (bad)
            {
                builder ??= new StringBuilder(value, 0, i, value.Length + 8);
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                {
                    builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                builder?.Append(c);
            }
        }

        return builder?.ToString() ?? value;
    }
}
