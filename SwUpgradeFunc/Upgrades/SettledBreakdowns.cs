using Azure.Data.Tables;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Storage;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// A task's failure reasons, counted from each bucket's failed list or, where it keeps none, its failed index rows
/// (<c>p|failed|...</c>), every bucket in parallel, so their cost grows with the failed sub-tasks only; and its source versions, summed from its counter rows, so their
/// cost does not grow with the task (docs/store.md).
/// </summary>
internal sealed class SettledBreakdowns(TableClient table, RetryableSetUp tableReady, TaskRows tasks, UpgradeStateQueries queries)
{
    /// <summary>Reasons listed one by one; the rest are summed into <see cref="FailureReasons.Other"/>.</summary>
    public const int MaxReasons = 20;

    /// <summary>Device ids shown per reason.</summary>
    public const int SampleDevices = 5;

    /// <summary>Versions listed one by one; the rest are summed into <see cref="SourceVersions.Other"/>.</summary>
    public const int MaxVersions = 10;

    private static readonly string[] FailureColumns = ["DeviceId", "ErrorCode", "ResultDesc"];

    public async Task<FailureReasons?> GetFailureReasonsAsync(string operationId, CancellationToken cancellationToken)
    {
        await tableReady.EnsureAsync().ConfigureAwait(false);
        if (await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false) is not { } task)
        {
            return null;
        }

        var groups = new Dictionary<string, ReasonTally>(StringComparer.Ordinal);
        var gate = new object();
        await ReadFailedAsync(task, (deviceId, errorCode, description) =>
        {
            lock (gate)
            {
                if (!groups.TryGetValue(errorCode ?? "", out var tally))
                {
                    groups[errorCode ?? ""] = tally = new ReasonTally();
                }

                tally.Add(deviceId ?? "", description ?? "");
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

    /// <summary>Sums the versions the task's counter rows count: 96 point reads, whatever the number of sub-tasks.</summary>
    public async Task<SourceVersions?> GetSourceVersionsAsync(string operationId, CancellationToken cancellationToken)
    {
        await tableReady.EnsureAsync().ConfigureAwait(false);
        if (await tasks.ReadAsync(operationId, cancellationToken).ConfigureAwait(false) is not { } task)
        {
            return null;
        }

        var tallies = new Dictionary<string, VersionCounts>(StringComparer.Ordinal);
        var beyond = default(VersionCounts);
        var settled = 0;
        var gate = new object();
        await queries.ReadCountersAsync(task, shard =>
        {
            lock (gate)
            {
                foreach (var (version, counts) in shard.Versions)
                {
                    tallies[version] = tallies.GetValueOrDefault(version).Plus(counts);
                }

                beyond = beyond.Plus(shard.OtherVersions);
                settled += shard.Phases[UpgradePhase.Succeeded.Name()] + shard.Phases[UpgradePhase.Failed.Name()];
            }
        }, cancellationToken).ConfigureAwait(false);

        var ranked = tallies.Where(t => t.Value.Settled > 0)
            .OrderByDescending(t => t.Value.Settled).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
        var versions = ranked.Take(MaxVersions)
            .Select(t => new SourceVersionCount(t.Key.Length == 0 ? null : t.Key, t.Value.Succeeded, t.Value.Failed,
                Share(t.Value.Failed, t.Value.Settled)))
            .ToList();
        var rest = ranked.Skip(MaxVersions).ToList();
        OtherVersions? other = null;
        if (rest.Count > 0 || beyond.Settled > 0)
        {
            var sum = rest.Aggregate(beyond, (total, t) => total.Plus(t.Value));
            other = new OtherVersions(rest.Count, sum.Succeeded, sum.Failed, Share(sum.Failed, sum.Settled));
        }

        var counted = ranked.Sum(t => t.Value.Settled) + beyond.Settled;
        return new SourceVersions(operationId, settled, versions, other) { Uncounted = settled - counted };
    }

    private static double Share(int part, int whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    /// <summary>
    /// Visits the task's failed sub-tasks (device, error code, description), the buckets in parallel: a bucket's kept
    /// failed list when it has one (point reads), its failed index rows otherwise (one query per 1,000 rows).
    /// </summary>
    private async Task ReadFailedAsync(TaskRecord task, Action<string?, string?, string?> visit, CancellationToken cancellationToken)
    {
        var failed = UpgradePhase.Failed.Name();
        await Parallel.ForEachAsync(Enumerable.Range(0, StorageKeys.Buckets),
            new ParallelOptions { MaxDegreeOfParallelism = StorageKeys.Buckets, CancellationToken = cancellationToken },
            async (bucket, ct) =>
            {
                if (await queries.ReadKeptListAsync(task, bucket, ct).ConfigureAwait(false) is { } list)
                {
                    foreach (var row in list.Rows)
                    {
                        visit(row.DeviceId, row.ErrorCode, row.ResultDesc);
                    }

                    return;
                }

                var filter = TableClient.CreateQueryFilter(
                    $"PartitionKey eq {StorageKeys.TaskPartition(task.OperationId, bucket)} and (RowKey ge {StorageKeys.PhaseIndexStart(failed)} and RowKey lt {StorageKeys.PhaseIndexStop(failed)})");
                await foreach (var row in table.QueryAsync<TableEntity>(filter, 1000, FailureColumns, ct).ConfigureAwait(false))
                {
                    visit(row.GetString("DeviceId"), row.GetString("ErrorCode"), row.GetString("ResultDesc"));
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
