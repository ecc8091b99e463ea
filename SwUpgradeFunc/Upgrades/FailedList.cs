using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// A bucket's failed list (row <c>l|failed</c> in the bucket partition): a copy of the bucket's failed index rows in
/// one row, written in the same transaction as they are, so that a <c>phase=failed</c> page is point reads of the
/// buckets' lists rather than a query per bucket. Failures are usually few; when a bucket's list would pass
/// <see cref="MaxBytes"/> it is marked overflowed and emptied for good, and that bucket is read from its index rows again
/// (it then holds enough failed sub-tasks for a query to fill a page). docs/store.md, "The failed lists".
/// </summary>
internal sealed class FailedList
{
    public const string Row = "l|failed";

    /// <summary>
    /// Bounds what one failed transition rewrites (the whole list) and stays within a binary column's 64 KiB: about 120
    /// sub-tasks per bucket with typical ids and texts, some 4,000 per task.
    /// </summary>
    public const int MaxBytes = 32 * 1024;

    private const string RowsColumn = "Rows";
    private const string OverflowedColumn = "Overflowed";

    private static readonly string FailedPhase = UpgradePhase.Failed.Name();

    private readonly SortedDictionary<string, ListedRow> _rows;

    public FailedList() : this(new SortedDictionary<string, ListedRow>(StringComparer.Ordinal), false, false, default)
    {
    }

    private FailedList(SortedDictionary<string, ListedRow> rows, bool overflowed, bool exists, ETag etag)
    {
        _rows = rows;
        Overflowed = overflowed;
        Exists = exists;
        ETag = etag;
    }

    /// <summary>The list no longer holds the bucket's failed sub-tasks (it grew past <see cref="MaxBytes"/> once).</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Whether the row exists in the table (a bucket with no failure yet has none).</summary>
    public bool Exists { get; set; }

    public ETag ETag { get; set; }

    /// <summary>The listed index rows in row key order, the order a query of the bucket's failed index rows returns.</summary>
    public IEnumerable<ListedRow> Rows => _rows.Values;

    public static bool Concerns(CountedState? before, CountedState after) => before?.Phase == FailedPhase || after.Phase == FailedPhase;

    public FailedList Clone() => new(new SortedDictionary<string, ListedRow>(_rows, StringComparer.Ordinal), Overflowed, Exists, ETag);

    /// <summary>
    /// Removes the sub-task's old index rows and lists its new one when it is failed; false when the stored row need not
    /// change (nothing moved, or the list has overflowed).
    /// </summary>
    public bool Apply(IEnumerable<string> oldIndexRows, string indexRow, SubTaskState state, int maxBytes = MaxBytes)
    {
        if (Overflowed)
        {
            return false;
        }

        var listed = state.Phase.NameOrNone() == FailedPhase ? ListedRow.Of(indexRow, state) : null;
        var changed = false;
        foreach (var old in oldIndexRows.Where(old => old != indexRow || listed is null))
        {
            changed |= _rows.Remove(old);
        }

        if (listed is not null && (!_rows.TryGetValue(indexRow, out var was) || was != listed))
        {
            _rows[indexRow] = listed;
            changed = true;
        }

        if (changed && Encode().Length > maxBytes)
        {
            _rows.Clear();
            Overflowed = true;
        }

        return changed;
    }

    public TableEntity ToEntity(string partition) => new(partition, Row)
    {
        [RowsColumn] = Encode(),
        [OverflowedColumn] = Overflowed,
    };

    public static FailedList From(TableEntity entity)
    {
        var rows = new SortedDictionary<string, ListedRow>(StringComparer.Ordinal);
        foreach (var row in JsonSerializer.Deserialize(entity.GetBinary(RowsColumn) ?? "[]"u8.ToArray(), FailedListJsonContext.Default.ListListedRow) ?? [])
        {
            rows[row.Key] = row;
        }

        return new FailedList(rows, entity.GetBoolean(OverflowedColumn) == true, true, entity.ETag);
    }

    private byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes([.. _rows.Values], FailedListJsonContext.Default.ListListedRow);
}

/// <summary>One failed index row as the failed list keeps it: its key and the columns a list shows (short names keep the row small).</summary>
internal sealed record ListedRow(
    [property: JsonPropertyName("k")] string Key,
    [property: JsonPropertyName("d")] string DeviceId,
    [property: JsonPropertyName("s")] string SubOperationId,
    [property: JsonPropertyName("t")] string Kind,
    [property: JsonPropertyName("l")] string? LastState,
    [property: JsonPropertyName("r")] string? Result,
    [property: JsonPropertyName("e")] string? ErrorCode,
    [property: JsonPropertyName("m")] string? ResultDesc,
    [property: JsonPropertyName("sv")] string? SourceVersion,
    [property: JsonPropertyName("tv")] string? TargetVersion,
    [property: JsonPropertyName("cv")] string? CurVersion,
    [property: JsonPropertyName("f")] DateTimeOffset FirstUpdate,
    [property: JsonPropertyName("u")] DateTimeOffset LastUpdate)
{
    /// <summary>The columns of <see cref="StateEntities.IndexEntity"/>, times in UTC as the table gives them back.</summary>
    public static ListedRow Of(string indexRow, SubTaskState s) => new(indexRow, s.DeviceId, s.SubOperationId, s.Kind, s.LastState, s.Result,
        s.ErrorCode, s.ResultDesc, s.SourceVersion, s.TargetVersion, s.CurVersion, s.FirstUpdate.ToUniversalTime(), s.LastUpdate.ToUniversalTime());

    /// <summary>The list's row, as <see cref="StateEntities.ToRow"/> makes it from the index row (a failed sub-task is never stalled).</summary>
    public SubTaskRow ToRow() => new(DeviceId, SubOperationId, Kind, UpgradePhase.Failed.Name(), LastState, Result, ErrorCode, ResultDesc,
        SourceVersion, TargetVersion, CurVersion, FirstUpdate, LastUpdate, false);
}

[JsonSerializable(typeof(List<ListedRow>))]
internal sealed partial class FailedListJsonContext : JsonSerializerContext;
