using Azure.Data.Tables;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// A task written straight into the table as the store would leave it (<see cref="SeededRows"/>), for tests that need
/// thousands of sub-tasks in a few seconds: the sub-task of index i is device <c>dev-{i:D5}</c>, sub-task <c>sub-{i:D5}</c>.
/// </summary>
internal static class SeededTask
{
    public static readonly DateTimeOffset At = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    public static SubTaskState State(string operationId, int index, UpgradePhase phase, string? errorCode = null, string? resultDesc = null,
        string? sourceVersion = null) => new()
        {
            OperationId = operationId,
            SubOperationId = $"sub-{index:D5}",
            DeviceId = $"dev-{index:D5}",
            AppId = "app-1",
            Kind = "software",
            Phase = phase,
            LastState = phase.IsSettled() ? "idle" : phase.Name(),
            Result = phase == UpgradePhase.Succeeded ? "SUCCESS" : phase == UpgradePhase.Failed ? "FAIL" : null,
            ErrorCode = errorCode,
            ResultDesc = resultDesc,
            SourceVersion = sourceVersion,
            TargetVersion = phase.IsSettled() ? "2.0.0" : null,
            FirstUpdate = At,
            LastUpdate = At.AddMinutes(index % 7),
        };

    /// <summary>Writes every row of the task, in transactions of 100 rows of one partition.</summary>
    public static async Task WriteAsync(TableClient table, string operationId, IReadOnlyList<SubTaskState> states)
    {
        await table.CreateIfNotExistsAsync();
        var batches = SeededRows.RowsOf(operationId, states).GroupBy(e => e.PartitionKey).SelectMany(p => p.Chunk(100)).ToArray();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, ct) =>
            await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct));
    }
}
