using Azure.Data.Tables;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// State as the store's version without counter rows left it: for each sub-task its sub-task row and its device index
/// row, nothing else (no counter, index or task rows), for the tests of the migration to today's layout.
/// </summary>
public static class EarlierLayout
{
    public static async Task WriteAsync(TableClient table, SubTaskState state)
    {
        await table.AddEntityAsync(StateEntities.ToEntity(state, StorageKeys.TaskPartition(state.OperationId, state.SubOperationId),
            StorageKeys.SubTaskRow(state.SubOperationId)));
        await table.UpsertEntityAsync(new TableEntity(StorageKeys.DevicePartition(state.DeviceId), StorageKeys.DeviceRow(state.OperationId, state.SubOperationId))
        {
            ["OperationId"] = state.OperationId,
            ["SubOperationId"] = state.SubOperationId,
        });
    }
}
