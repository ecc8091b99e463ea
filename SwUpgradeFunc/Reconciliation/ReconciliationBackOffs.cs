using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>
/// A task's back-off: when it may be asked again, how long the last wait was, and a digest of the platform's answer that
/// led to it, so that a different answer (progress on the platform) starts the waits over.
/// </summary>
public sealed record ReconciliationBackOff(int Hours, DateTimeOffset NextAttempt, string Answer);

/// <summary>
/// The back-off rows of tasks whose stalled sub-tasks the platform reports unsettled too: asking again every run would only
/// spend the platform's calls. One small row per task in the tasks partition (<see cref="StorageKeys.ReconcileBackOffRow"/>),
/// read by point read, so its cost does not grow with the number of tasks.
/// </summary>
public sealed class ReconciliationBackOffs(TableServiceClient service, IOptions<UpgradesOptions> upgrades, IOptions<ReconciliationOptions> options)
{
    public static TimeSpan FirstBackOff { get; } = TimeSpan.FromHours(1);

    private readonly TableClient _table = service.GetTableClient(upgrades.Value.TableName);

    /// <summary>The task's back-off, or null when it has none.</summary>
    public async Task<ReconciliationBackOff?> ReadAsync(string operationId, CancellationToken cancellationToken)
    {
        var read = await _table.GetEntityIfExistsAsync<TableEntity>(StorageKeys.TasksPartition, StorageKeys.ReconcileBackOffRow(operationId),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!read.HasValue)
        {
            return null;
        }

        var row = read.Value!;
        return new ReconciliationBackOff(row.GetInt32("Hours") ?? 1, row.GetDateTimeOffset("NextAttempt") ?? DateTimeOffset.MinValue,
            row.GetString("Answer") ?? "");
    }

    /// <summary>
    /// Records that the platform gave <paramref name="answer"/> and nothing was to repair: the same answer as last time
    /// doubles the wait (up to <see cref="ReconciliationOptions.MaxBackOffHours"/>), any other answer starts at one hour.
    /// </summary>
    public async Task<ReconciliationBackOff> BackOffAsync(string operationId, ReconciliationBackOff? previous, string answer, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var max = options.Value.MaxBackOffHours;
        var hours = previous is not null && previous.Answer == answer ? Math.Min(previous.Hours * 2, max) : Math.Min(1, max);
        var next = new ReconciliationBackOff(hours, now.AddHours(hours), answer);
        await _table.UpsertEntityAsync(new TableEntity(StorageKeys.TasksPartition, StorageKeys.ReconcileBackOffRow(operationId))
        {
            ["OperationId"] = operationId,
            ["Hours"] = next.Hours,
            ["NextAttempt"] = next.NextAttempt,
            ["Answer"] = next.Answer,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return next;
    }

    /// <summary>Removes the task's back-off: the platform's answer led to repairs, so the next run asks again.</summary>
    public async Task ClearAsync(string operationId, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(StorageKeys.TasksPartition, StorageKeys.ReconcileBackOffRow(operationId), ETag.All, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No back-off to clear.
        }
    }

    /// <summary>A digest of the platform's settled sub-tasks, independent of the order the platform listed them in.</summary>
    public static string AnswerOf(IEnumerable<SubOperation> settled)
    {
        ArgumentNullException.ThrowIfNull(settled);
        var lines = settled.Select(s => $"{s.SubOperationId}\n{s.Status}").Order(StringComparer.Ordinal);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n\n", lines))))[..32];
    }
}
