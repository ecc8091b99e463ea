using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Storage;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// Sub-task state in Azure Table Storage, with the counter and index rows that make a task's progress and its filtered
/// lists cost the same at any fleet size (docs/store.md). One service over one table, made of parts each with one
/// responsibility: <see cref="SubTaskWriter"/> (one push's transaction), <see cref="TaskRows"/> (the task row, its
/// activity and its buckets' set-up), <see cref="UpgradeStateQueries"/> (the status API's reads),
/// <see cref="StateEntities"/> (rows), <see cref="ContinuationTokens"/> and <see cref="EarlierLayouts"/>.
/// </summary>
public sealed class UpgradeStateStore : IDisposable
{
    /// <summary>Tries of one write before a conflict is given up on and thrown (for the queue to retry the message).</summary>
    public const int MaxAttempts = 50;

    /// <summary>Sub-tasks whose last written state is kept in memory (about 2-20 KB each).</summary>
    public const int CachedSubTasks = 20_000;

    /// <summary>The task row's last activity is written at most once per this span per instance.</summary>
    public static TimeSpan ActivityPrecision => TaskRows.ActivityPrecision;

    private readonly RetryableSetUp _tableReady;
    private readonly EarlierLayouts _earlier;
    private readonly SubTaskWriter _writer;
    private readonly UpgradeStateQueries _queries;
    private readonly TaskDeletion _deletion;
    private readonly TimelineWrites _timelineWrites;
    private readonly TimelineQueries _timelines;
    private readonly SettledBreakdowns _breakdowns;

    public UpgradeStateStore(TableServiceClient service, IOptions<UpgradesOptions> options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        var table = service.GetTableClient(settings.TableName);
        _tableReady = new RetryableSetUp(() => EnsureTableAsync(table));
        _earlier = new EarlierLayouts(table);
        var tasks = new TaskRows(table, _earlier);
        _timelineWrites = new TimelineWrites(table);
        _writer = new SubTaskWriter(table, tasks, _timelineWrites);
        _queries = new UpgradeStateQueries(table, _tableReady, tasks, settings, time ?? TimeProvider.System);
        _deletion = new TaskDeletion(table, tasks, _writer, time ?? TimeProvider.System);
        _timelines = new TimelineQueries(table, _tableReady, tasks, _queries, time ?? TimeProvider.System);
        _breakdowns = new SettledBreakdowns(table, _tableReady, tasks, _queries);
        DefaultStalledAfter = TimeSpan.FromMinutes(settings.StalledAfterMinutes);
    }

    public TimeSpan DefaultStalledAfter { get; }

    public void Dispose()
    {
        _writer.Dispose();
        _earlier.Dispose();
        _timelineWrites.Dispose();
    }

    /// <summary>
    /// Persists one push's transition: <paramref name="decide"/> gets the sub-task's stored state (null before its first
    /// push) and returns the transition to commit; after a conflict with another writer it is called again with the
    /// fresh state, so it must decide from its argument alone.
    /// </summary>
    public async Task<Transition> ApplyAsync(SubTaskWrite write, Func<SubTaskState?, Transition> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(decide);
        await _tableReady.EnsureAsync().ConfigureAwait(false);
        await _deletion.EnsureWritableAsync(write.OperationId, cancellationToken).ConfigureAwait(false);
        return await _writer.WriteAsync(write, decide, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One step of a task's deletion: removes at most <paramref name="maxRows"/> of its rows; null for an unknown task.
    /// Repeat until the result is done (docs/store.md, "Deleting a task").
    /// </summary>
    public async Task<TaskDeletionResult?> DeleteTaskAsync(string operationId, int maxRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        await _tableReady.EnsureAsync().ConfigureAwait(false);
        return await _deletion.DeleteAsync(operationId, maxRows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Tasks whose last activity is before <paramref name="cutoff"/>, at most <paramref name="max"/>: only activity rows past the cutoff are read.</summary>
    public async Task<IReadOnlyList<ExpiredTask>> ExpiredTasksAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken)
    {
        if (max <= 0)
        {
            return [];
        }

        await _tableReady.EnsureAsync().ConfigureAwait(false);
        return await _deletion.ExpiredAsync(cutoff, max, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletions started and not yet done (at most <paramref name="max"/>), for the retention run to carry on with.</summary>
    public async Task<IReadOnlyList<string>> UnfinishedDeletionsAsync(int max, CancellationToken cancellationToken)
    {
        await _tableReady.EnsureAsync().ConfigureAwait(false);
        return await _deletion.UnfinishedAsync(max, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One task's progress: counts from its counter rows, one page of its sub-tasks; null for an unknown task.</summary>
    public Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        GetTaskAsync(operationId, pageSize, continuationToken, DefaultStalledAfter, cancellationToken);

    /// <inheritdoc cref="GetTaskAsync(string, int, string?, CancellationToken)"/>
    public async Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken)
    {
        // The tombstone is looked at only for a task found: polling an unknown task stays one read.
        var progress = await _queries.GetTaskAsync(operationId, pageSize, continuationToken, stalledAfter, cancellationToken).ConfigureAwait(false);
        return progress is null || await _deletion.IsDeletedAsync(operationId, cancellationToken).ConfigureAwait(false) ? null : progress;
    }

    /// <summary>One page of a task's sub-tasks, filtered by phase, <c>active</c> or <c>stalled</c>; null for an unknown task.</summary>
    public async Task<SubTaskPage?> ListSubTasksAsync(string operationId, SubTaskFilter filter, int pageSize, string? continuationToken,
        TimeSpan stalledAfter, CancellationToken cancellationToken)
    {
        var page = await _queries.ListSubTasksAsync(operationId, filter, pageSize, continuationToken, stalledAfter, cancellationToken)
            .ConfigureAwait(false);
        return page is null || await _deletion.IsDeletedAsync(operationId, cancellationToken).ConfigureAwait(false) ? null : page;
    }

    /// <summary>The tasks, most recent activity first, each with its counts.</summary>
    public Task<TaskList> ListTasksAsync(int pageSize, string? continuationToken, TimeSpan stalledAfter, CancellationToken cancellationToken) =>
        _queries.ListTasksAsync(pageSize, continuationToken, stalledAfter, cancellationToken);

    /// <summary>The tasks active since <paramref name="since"/>, most recent first, each with its counts; older tasks are never read.</summary>
    public Task<TaskList> ListTasksActiveSinceAsync(DateTimeOffset since, int pageSize, string? continuationToken, TimeSpan stalledAfter,
        CancellationToken cancellationToken) =>
        _queries.ListTasksActiveSinceAsync(since, pageSize, continuationToken, stalledAfter, cancellationToken);

    /// <summary>Every sub-task of one device, with its history; null for a device nobody pushed.</summary>
    public async Task<DeviceUpgrades?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        if (await _queries.GetDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        // Sub-tasks of a task being deleted are hidden as soon as its deletion starts (one tombstone read per task, at once).
        var operationIds = found.SubTasks.Select(s => s.OperationId).Distinct(StringComparer.Ordinal).ToList();
        var tombstones = await Task.WhenAll(operationIds.Select(op => _deletion.IsDeletedAsync(op, cancellationToken))).ConfigureAwait(false);
        var deleted = operationIds.Where((_, i) => tombstones[i]).ToHashSet(StringComparer.Ordinal);

        var kept = found.SubTasks.Where(s => !deleted.Contains(s.OperationId)).ToList();
        return kept.Count == 0 ? null : found with { SubTasks = kept };
    }

    /// <summary>A task's settles and pushes per interval from its first push to now, with a projected end; null for an unknown task.</summary>
    public async Task<TaskTimeline?> GetTimelineAsync(string operationId, TimelineInterval interval, CancellationToken cancellationToken)
    {
        var timeline = await _timelines.GetTimelineAsync(operationId, interval, DefaultStalledAfter, cancellationToken).ConfigureAwait(false);
        return timeline is null || await _deletion.IsDeletedAsync(operationId, cancellationToken).ConfigureAwait(false) ? null : timeline;
    }

    /// <summary>The task's failed sub-tasks grouped by error code, most frequent first; null for an unknown task.</summary>
    public async Task<FailureReasons?> GetFailureReasonsAsync(string operationId, CancellationToken cancellationToken)
    {
        var reasons = await _breakdowns.GetFailureReasonsAsync(operationId, cancellationToken).ConfigureAwait(false);
        return reasons is null || await _deletion.IsDeletedAsync(operationId, cancellationToken).ConfigureAwait(false) ? null : reasons;
    }

    /// <summary>The task's settled sub-tasks per source version, most settled first; null for an unknown task.</summary>
    public async Task<SourceVersions?> GetSourceVersionsAsync(string operationId, CancellationToken cancellationToken)
    {
        var versions = await _breakdowns.GetSourceVersionsAsync(operationId, cancellationToken).ConfigureAwait(false);
        return versions is null || await _deletion.IsDeletedAsync(operationId, cancellationToken).ConfigureAwait(false) ? null : versions;
    }

    /// <summary>A duration as the API writes it (ISO 8601, e.g. PT1H).</summary>
    public static string Iso(TimeSpan duration) => System.Xml.XmlConvert.ToString(duration);

    private static async Task EnsureTableAsync(TableClient table)
    {
        try
        {
            await table.CreateIfNotExistsAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // In Azure the template creates the table; an identity without the right to create it is fine.
        }
    }
}
