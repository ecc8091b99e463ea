using Azure.Data.Tables;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Storage;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// A task's failure reasons and source versions, counted from its settled index rows: the reasons read the failed rows
/// only (<c>p|failed|...</c>), the versions the succeeded and failed rows, every bucket in parallel. Their cost grows
/// with those rows, never with the unsettled sub-tasks (docs/store.md).
/// </summary>
internal sealed class SettledBreakdowns(TableClient table, RetryableSetUp tableReady, TaskRows tasks)
{
    /// <summary>Reasons listed one by one; the rest are summed into <see cref="FailureReasons.Other"/>.</summary>
    public const int MaxReasons = 20;

    /// <summary>Device ids shown per reason.</summary>
    public const int SampleDevices = 5;

    /// <summary>Versions listed one by one; the rest are summed into <see cref="SourceVersions.Other"/>.</summary>
    public const int MaxVersions = 10;

    private static readonly string[] FailureColumns = ["DeviceId", "ErrorCode", "ResultDesc"];
    private static readonly string[] VersionColumns = ["Phase", "SourceVersion"];

    public async Task<FailureReasons?> GetFailureReasonsAsync(string operationId, CancellationToken cancellationToken)
    {
        await tableReady.EnsureAsync().ConfigureAwait(false);
        if (await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var groups = new Dictionary<string, ReasonTally>(StringComparer.Ordinal);
        var gate = new object();
        await ReadSettledAsync(operationId, [UpgradePhase.Failed.Name()], FailureColumns, row =>
        {
            var errorCode = row.GetString("ErrorCode") ?? "";
            lock (gate)
            {
                if (!groups.TryGetValue(errorCode, out var tally))
                {
                    groups[errorCode] = tally = new ReasonTally();
                }

                tally.Add(row.GetString("DeviceId") ?? "", row.GetString("ResultDesc") ?? "");
            }
        }, cancellationToken).ConfigureAwait(false);

        var failed = groups.Values.Sum(g => g.Count);
        var ranked = groups.OrderByDescending(g => g.Value.Count).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var reasons = ranked.Take(MaxReasons)
            .Select(g => new FailureReason(g.Key.Length == 0 ? null : g.Key, g.Value.MostCommonDescription, g.Value.Count,
                Share(g.Value.Count, failed), [.. g.Value.Samples]))
            .ToList();
        var rest = ranked.Skip(MaxReasons).ToList();
        var other = rest.Count == 0 ? null : new OtherReasons(rest.Count, rest.Sum(g => g.Value.Count), Share(rest.Sum(g => g.Value.Count), failed));
        return new FailureReasons(operationId, failed, reasons, other);
    }

    public async Task<SourceVersions?> GetSourceVersionsAsync(string operationId, CancellationToken cancellationToken)
    {
        await tableReady.EnsureAsync().ConfigureAwait(false);
        if (await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var succeededPhase = UpgradePhase.Succeeded.Name();
        var tallies = new Dictionary<string, (int Succeeded, int Failed)>(StringComparer.Ordinal);
        var gate = new object();
        await ReadSettledAsync(operationId, [succeededPhase, UpgradePhase.Failed.Name()], VersionColumns, row =>
        {
            var version = row.GetString("SourceVersion") ?? "";
            var succeeded = row.GetString("Phase") == succeededPhase;
            lock (gate)
            {
                var (s, f) = tallies.GetValueOrDefault(version);
                tallies[version] = succeeded ? (s + 1, f) : (s, f + 1);
            }
        }, cancellationToken).ConfigureAwait(false);

        var ranked = tallies.OrderByDescending(t => t.Value.Succeeded + t.Value.Failed).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
        var versions = ranked.Take(MaxVersions)
            .Select(t => new SourceVersionCount(t.Key.Length == 0 ? null : t.Key, t.Value.Succeeded, t.Value.Failed,
                Share(t.Value.Failed, t.Value.Succeeded + t.Value.Failed)))
            .ToList();
        var rest = ranked.Skip(MaxVersions).ToList();
        OtherVersions? other = null;
        if (rest.Count > 0)
        {
            var (s, f) = (rest.Sum(t => t.Value.Succeeded), rest.Sum(t => t.Value.Failed));
            other = new OtherVersions(rest.Count, s, f, Share(f, s + f));
        }

        return new SourceVersions(operationId, tallies.Values.Sum(t => t.Succeeded + t.Failed), versions, other);
    }

    private static double Share(int part, int whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    /// <summary>Reads the given settled phases' index rows of every bucket, the buckets in parallel, each bucket's pages in turn.</summary>
    private async Task ReadSettledAsync(string operationId, IReadOnlyList<string> phases, string[] columns, Action<TableEntity> visit,
        CancellationToken cancellationToken)
    {
        var ranges = Enumerable.Range(0, StorageKeys.Buckets)
            .SelectMany(b => phases.Select(p => (Partition: StorageKeys.TaskPartition(operationId, b), Phase: p)));
        await Parallel.ForEachAsync(ranges,
            new ParallelOptions { MaxDegreeOfParallelism = StorageKeys.Buckets, CancellationToken = cancellationToken },
            async (range, ct) =>
            {
                var filter = TableClient.CreateQueryFilter(
                    $"PartitionKey eq {range.Partition} and (RowKey ge {StorageKeys.PhaseIndexStart(range.Phase)} and RowKey lt {StorageKeys.PhaseIndexStop(range.Phase)})");
                await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, columns, ct).ConfigureAwait(false))
                {
                    visit(row);
                }
            }).ConfigureAwait(false);
    }

    /// <summary>One error code's failed sub-tasks: how many, their descriptions' counts, and the first device ids in id order.</summary>
    private sealed class ReasonTally
    {
        private readonly Dictionary<string, int> _descriptions = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _samples = new(StringComparer.Ordinal);

        public int Count { get; private set; }

        public IEnumerable<string> Samples => _samples;

        /// <summary>The description most of the group carry (the first in ordinal order on a tie); null when none carries one.</summary>
        public string? MostCommonDescription => _descriptions
            .Where(d => d.Key.Length > 0)
            .OrderByDescending(d => d.Value).ThenBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => d.Key).FirstOrDefault();

        public void Add(string deviceId, string description)
        {
            Count++;
            _descriptions[description] = _descriptions.GetValueOrDefault(description) + 1;
            _samples.Add(deviceId);
            if (_samples.Count > SampleDevices)
            {
                _samples.Remove(_samples.Max!);
            }
        }
    }
}
