using Azure.Data.Tables;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>Turns a task's rows back into what the version before per-version counts left.</summary>
internal static class EarlierVersionRows
{
    private static readonly string[] VersionColumns =
        [VersionCounting.CountedColumn, "SettledByVersion", "OtherVersionsSucceeded", "OtherVersionsFailed"];

    /// <summary>Drops the counter rows' per-version counts and the sub-task rows' mark that they are counted.</summary>
    public static async Task ForgetSourceVersionsAsync(TableClient table, string operationId)
    {
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            var partition = StorageKeys.TaskPartition(operationId, b);
            await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{partition}'"))
            {
                var removed = false;
                foreach (var column in VersionColumns)
                {
                    removed |= row.Remove(column);
                }

                if (removed)
                {
                    await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
                }
            }
        }
    }
}
