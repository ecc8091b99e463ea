using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The continuation token of a task query is not one this API issued for that task.</summary>
public sealed class InvalidContinuationTokenException(string message) : FormatException(message);

/// <summary>
/// Sub-task state in Azure Table Storage. Every write is conditional on the ETag of the state it was computed from,
/// so concurrent processors of the same sub-task retry instead of overwriting each other. The last state written is
/// kept in memory with its ETag: a device's pushes usually reach the same instance, and then a push costs one
/// request (the conditional replace) instead of a read and a write; a stale cache entry only costs a 412 and a re-read.
/// </summary>
public sealed class UpgradeStateStore : IDisposable
{
    public const int MaxAttempts = 50;

    /// <summary>Sub-tasks whose last written state is kept in memory (about 2-20 KB each).</summary>
    public const int CachedSubTasks = 20_000;

    private static readonly string[] RowColumns =
        ["DeviceId", "SubOperationId", "Kind", "Phase", "LastState", "Result", "LastUpdate"];

    private static readonly string[] PhaseColumn = ["Phase"];

    private readonly TableClient _table;
    private readonly UpgradesOptions _options;
    private readonly Lazy<Task> _tableReady;
    private readonly MemoryCache _written = new(new MemoryCacheOptions { SizeLimit = CachedSubTasks });

    public UpgradeStateStore(TableServiceClient service, IOptions<UpgradesOptions> options)
    {
        _options = options.Value;
        _table = service.GetTableClient(_options.TableName);
        _tableReady = new Lazy<Task>(EnsureTableAsync);
    }

    public void Dispose() => _written.Dispose();

    public async Task<Transition> ApplyAsync(Notifications.NotificationEnvelope envelope, CancellationToken cancellationToken)
    {
        await _tableReady.Value.ConfigureAwait(false);
        var n = envelope.Notification;
        var partition = StorageKeys.TaskPartition(n.OperationId, n.SubOperationId);
        var row = StorageKeys.SubTaskRow(n.SubOperationId);
        var cacheKey = partition + "\n" + row;
        var indexed = false;

        for (var attempt = 1; ; attempt++)
        {
            if (!_written.TryGetValue(cacheKey, out TableEntity? current))
            {
                var read = await _table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                current = read.HasValue ? read.Value : null;
            }

            if (current is null && !indexed)
            {
                // Before the sub-task exists, so that a crash between the two leaves an index row, never an unindexed sub-task.
                await _table.UpsertEntityAsync(DeviceIndexEntity(n.DeviceId, n.OperationId, n.SubOperationId),
                    TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                indexed = true;
            }

            var transition = UpgradeStateMachine.Apply(current is null ? null : ToState(current), envelope, _options.HistoryLimit);
            var entity = ToEntity(transition.State, partition, row);
            try
            {
                var response = current is null
                    ? await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false)
                    : await _table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                entity.ETag = response.Headers.ETag ?? default;
                _written.Set(cacheKey, entity, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(15) });
                return transition;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another processor wrote the sub-task since the state we computed from: read it again.
                _written.Remove(cacheKey);
                await Task.Delay(Random.Shared.Next(5, 20 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken,
        CancellationToken cancellationToken)
    {
        var (bucket, tableToken) = ParseToken(operationId, continuationToken);
        await _tableReady.Value.ConfigureAwait(false);

        var phases = await CountPhasesAsync(operationId, cancellationToken).ConfigureAwait(false);
        if (phases is null)
        {
            return null;
        }

        var rows = new List<SubTaskSummary>();
        string? next = null;
        while (bucket < StorageKeys.Buckets && rows.Count < pageSize)
        {
            var partition = StorageKeys.TaskPartition(operationId, bucket);
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {partition} and RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd}");
            Page<TableEntity>? page = null;
            try
            {
                await foreach (var p in _table.QueryAsync<TableEntity>(filter, pageSize - rows.Count, RowColumns, cancellationToken)
                                   .AsPages(tableToken, pageSize - rows.Count).ConfigureAwait(false))
                {
                    page = p;
                    break;
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 400 && tableToken is not null)
            {
                throw new InvalidContinuationTokenException("The continuation token is not valid.");
            }

            rows.AddRange(page?.Values.Select(ToSummary) ?? []);
            if (page?.ContinuationToken is { } more)
            {
                tableToken = more;
            }
            else
            {
                bucket++;
                tableToken = null;
            }

            next = bucket < StorageKeys.Buckets ? FormatToken(operationId, bucket, tableToken) : null;
        }

        return new TaskProgress(operationId, phases.Values.Sum(), phases, rows, next);
    }

    /// <summary>
    /// Counts the task's sub-tasks per phase, reading only the Phase column of its 32 partitions in parallel: no
    /// counter row that every push of the task would have to update.
    /// </summary>
    private async Task<Dictionary<string, int>?> CountPhasesAsync(string operationId, CancellationToken cancellationToken)
    {
        var perBucket = await Task.WhenAll(Enumerable.Range(0, StorageKeys.Buckets).Select(async bucket =>
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {StorageKeys.TaskPartition(operationId, bucket)} and RowKey ge {StorageKeys.SubTaskRowPrefix} and RowKey lt {StorageKeys.SubTaskRowEnd}");
            await foreach (var e in _table.QueryAsync<TableEntity>(filter, 1000, PhaseColumn, cancellationToken).ConfigureAwait(false))
            {
                var phase = e.GetString("Phase") ?? "none";
                counts[phase] = counts.GetValueOrDefault(phase) + 1;
            }

            return counts;
        })).ConfigureAwait(false);

        if (perBucket.All(c => c.Count == 0))
        {
            return null;
        }

        var phases = UpgradePhases.All.ToDictionary(p => p.Name(), _ => 0);
        phases["none"] = 0;
        foreach (var (phase, count) in perBucket.SelectMany(c => c))
        {
            phases[phase] = phases.GetValueOrDefault(phase) + count;
        }

        return phases;
    }

    public async Task<DeviceUpgrades?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        await _tableReady.Value.ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {StorageKeys.DevicePartition(deviceId)}");
        var subTasks = new List<SubTaskDetail>();
        await foreach (var pointer in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var operationId = pointer.GetString("OperationId");
            var subOperationId = pointer.GetString("SubOperationId");
            var entity = await _table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TaskPartition(operationId, subOperationId),
                StorageKeys.SubTaskRow(subOperationId), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entity.HasValue)
            {
                subTasks.Add(SubTaskDetail.From(ToState(entity.Value!)));
            }
        }

        return subTasks.Count == 0
            ? null
            : new DeviceUpgrades(deviceId, [.. subTasks.OrderBy(s => s.FirstUpdate).ThenBy(s => s.OperationId, StringComparer.Ordinal)]);
    }

    private async Task EnsureTableAsync()
    {
        try
        {
            await _table.CreateIfNotExistsAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            // In Azure the template creates the table; an identity without the right to create it is fine.
        }
    }

    private static TableEntity DeviceIndexEntity(string deviceId, string operationId, string subOperationId) =>
        new(StorageKeys.DevicePartition(deviceId), StorageKeys.DeviceRow(operationId, subOperationId))
        {
            ["OperationId"] = operationId,
            ["SubOperationId"] = subOperationId,
        };

    private static SubTaskSummary ToSummary(TableEntity e) => new(
        e.GetString("DeviceId"), e.GetString("SubOperationId"), e.GetString("Kind"), e.GetString("Phase"),
        e.GetString("LastState"), e.GetString("Result"), e.GetDateTimeOffset("LastUpdate") ?? default);

    internal static TableEntity ToEntity(SubTaskState s, string partition, string row) => new(partition, row)
    {
        ["OperationId"] = s.OperationId,
        ["SubOperationId"] = s.SubOperationId,
        ["DeviceId"] = s.DeviceId,
        ["AppId"] = s.AppId,
        ["Kind"] = s.Kind,
        ["Phase"] = s.Phase?.Name(),
        ["LastState"] = s.LastState,
        ["Result"] = s.Result,
        ["CurVersion"] = s.CurVersion,
        ["TargetVersion"] = s.TargetVersion,
        ["SourceVersion"] = s.SourceVersion,
        ["UpgradeTime"] = s.UpgradeTime,
        ["ResultDesc"] = s.ResultDesc,
        ["ErrorCode"] = s.ErrorCode,
        ["FirstUpdate"] = s.FirstUpdate,
        ["LastUpdate"] = s.LastUpdate,
        ["Duplicates"] = s.Duplicates,
        ["SkippedSteps"] = s.SkippedSteps,
        ["HistoryDropped"] = s.HistoryDropped,
        ["History"] = JsonSerializer.Serialize(s.History, UpgradesJsonContext.Default.ListHistoryEntry),
        ["Seen"] = JsonSerializer.Serialize(s.Seen, UpgradesJsonContext.Default.ListString),
    };

    internal static SubTaskState ToState(TableEntity e) => new()
    {
        OperationId = e.GetString("OperationId"),
        SubOperationId = e.GetString("SubOperationId"),
        DeviceId = e.GetString("DeviceId"),
        AppId = e.GetString("AppId"),
        Kind = e.GetString("Kind"),
        Phase = UpgradePhases.Parse(e.GetString("Phase")),
        LastState = e.GetString("LastState"),
        Result = e.GetString("Result"),
        CurVersion = e.GetString("CurVersion"),
        TargetVersion = e.GetString("TargetVersion"),
        SourceVersion = e.GetString("SourceVersion"),
        UpgradeTime = e.GetString("UpgradeTime"),
        ResultDesc = e.GetString("ResultDesc"),
        ErrorCode = e.GetString("ErrorCode"),
        FirstUpdate = e.GetDateTimeOffset("FirstUpdate") ?? default,
        LastUpdate = e.GetDateTimeOffset("LastUpdate") ?? default,
        Duplicates = e.GetInt32("Duplicates") ?? 0,
        SkippedSteps = e.GetBoolean("SkippedSteps") ?? false,
        HistoryDropped = e.GetInt32("HistoryDropped") ?? 0,
        History = JsonSerializer.Deserialize(e.GetString("History") ?? "[]", UpgradesJsonContext.Default.ListHistoryEntry) ?? [],
        Seen = JsonSerializer.Deserialize(e.GetString("Seen") ?? "[]", UpgradesJsonContext.Default.ListString) ?? [],
    };

    /// <summary>Tokens say where the next page starts (bucket and the table's own token) and which task they belong to.</summary>
    private static string FormatToken(string operationId, int bucket, string? tableToken) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"1\n{StorageKeys.DeviceRow(operationId, "")}\n{bucket.ToString(CultureInfo.InvariantCulture)}\n{tableToken}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (int Bucket, string? TableToken) ParseToken(string operationId, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (0, null);
        }

        string[] parts;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('\n');
        }
        catch (FormatException)
        {
            throw new InvalidContinuationTokenException("The continuation token is not valid.");
        }

        if (parts.Length != 4 || parts[0] != "1" ||
            !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var bucket) ||
            bucket is < 0 or >= StorageKeys.Buckets)
        {
            throw new InvalidContinuationTokenException("The continuation token is not valid.");
        }

        if (parts[1] != StorageKeys.DeviceRow(operationId, ""))
        {
            throw new InvalidContinuationTokenException("The continuation token belongs to another upgrade task.");
        }

        return (bucket, parts[3].Length == 0 ? null : parts[3]);
    }
}
