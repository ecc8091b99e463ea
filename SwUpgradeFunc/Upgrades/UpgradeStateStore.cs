using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The continuation token of a task query is not one this API issued for that task.</summary>
public sealed class InvalidContinuationTokenException(string message) : FormatException(message);

/// <summary>
/// Sub-task state in Azure Table Storage. Every write is conditional on the ETag read, so concurrent processors of
/// the same sub-task retry instead of overwriting each other; the bucket's phase counts change in the same
/// transaction as the sub-task, so they never drift from the rows.
/// </summary>
public sealed class UpgradeStateStore
{
    public const int MaxAttempts = 50;

    private static readonly string[] SummaryColumns = [.. UpgradePhases.All.Select(CountColumn)];
    private static readonly string[] RowColumns =
        ["DeviceId", "SubOperationId", "Kind", "Phase", "LastState", "Result", "LastUpdate"];

    private readonly TableClient _table;
    private readonly UpgradesOptions _options;
    private readonly Lazy<Task> _tableReady;

    public UpgradeStateStore(TableServiceClient service, IOptions<UpgradesOptions> options)
    {
        _options = options.Value;
        _table = service.GetTableClient(_options.TableName);
        _tableReady = new Lazy<Task>(EnsureTableAsync);
    }

    public async Task<Transition> ApplyAsync(Notifications.NotificationEnvelope envelope, CancellationToken cancellationToken)
    {
        await _tableReady.Value.ConfigureAwait(false);
        var n = envelope.Notification;
        var partition = StorageKeys.TaskPartition(n.OperationId, n.SubOperationId);
        var row = StorageKeys.SubTaskRow(n.SubOperationId);

        for (var attempt = 1; ; attempt++)
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            var current = existing.HasValue ? existing.Value! : null;
            if (current is null)
            {
                // Before the sub-task exists, so that a crash between the two leaves an index row, never an unindexed sub-task.
                await _table.UpsertEntityAsync(DeviceIndexEntity(n.DeviceId, n.OperationId, n.SubOperationId),
                    TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }

            var transition = UpgradeStateMachine.Apply(current is null ? null : ToState(current), envelope, _options.HistoryLimit);
            var entity = ToEntity(transition.State, partition, row);
            var actions = new List<TableTransactionAction>
            {
                current is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, current.ETag),
            };
            if (transition.PhaseChanged)
            {
                actions.Add(await SummaryActionAsync(partition, transition, cancellationToken).ConfigureAwait(false));
            }

            try
            {
                await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                return transition;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another processor wrote the sub-task or the bucket's counts since we read them: read again.
                await Task.Delay(Random.Shared.Next(5, 20 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<TaskProgress?> GetTaskAsync(string operationId, int pageSize, string? continuationToken,
        CancellationToken cancellationToken)
    {
        var (bucket, tableToken) = ParseToken(operationId, continuationToken);
        await _tableReady.Value.ConfigureAwait(false);

        var summaries = await Task.WhenAll(Enumerable.Range(0, StorageKeys.Buckets).Select(b =>
            _table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TaskPartition(operationId, b), StorageKeys.SummaryRowKey,
                SummaryColumns, cancellationToken))).ConfigureAwait(false);
        if (!summaries.Any(s => s.HasValue))
        {
            return null;
        }

        var phases = UpgradePhases.All.ToDictionary(p => p.Name(),
            p => summaries.Where(s => s.HasValue).Sum(s => s.Value!.GetInt32(CountColumn(p)) ?? 0));

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

    private async Task<TableTransactionAction> SummaryActionAsync(string partition, Transition transition,
        CancellationToken cancellationToken)
    {
        var existing = await _table.GetEntityIfExistsAsync<TableEntity>(partition, StorageKeys.SummaryRowKey,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var summary = existing.HasValue ? existing.Value! : new TableEntity(partition, StorageKeys.SummaryRowKey);
        foreach (var phase in UpgradePhases.All)
        {
            var count = summary.GetInt32(CountColumn(phase)) ?? 0;
            count += (transition.To == phase ? 1 : 0) - (transition.From == phase ? 1 : 0);
            summary[CountColumn(phase)] = count;
        }

        return existing.HasValue
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, summary, summary.ETag)
            : new TableTransactionAction(TableTransactionActionType.Add, summary);
    }

    private static string CountColumn(UpgradePhase phase) => "Count_" + phase.Name();

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
