using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

public class StorageKeysTests
{
    [Theory]
    [InlineData("plain-id_1.2", "plain-id_1.2")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("a\\b#c?d", "a%5Cb%23c%3Fd")]
    [InlineData("50%|x~", "50%25%7Cx%7E")]
    [InlineData("tab\there", "tab%09here")]
    public void Escape_EncodesWhatTableKeysForbid_AndOurSeparators(string value, string expected)
    {
        Assert.Equal(expected, StorageKeys.Escape(value));
    }

    [Fact]
    public void TaskPartition_SpreadsATasksSubTasksOverEveryBucket()
    {
        var buckets = Enumerable.Range(0, 10_000).Select(i => StorageKeys.BucketOf($"sub-{i}")).ToArray();

        var perBucket = buckets.GroupBy(b => b).Select(g => g.Count()).ToArray();

        Assert.Equal(StorageKeys.Buckets, perBucket.Length);
        // A fair spread keeps every bucket within 25% of the mean, so no bucket becomes the task's hot partition.
        var mean = 10_000.0 / StorageKeys.Buckets;
        Assert.All(perBucket, count => Assert.InRange(count, mean * 0.75, mean * 1.25));
    }

    [Fact]
    public void BucketOf_IsStable()
    {
        // The bucket is part of stored keys: it must never change between versions or processes.
        Assert.Equal(18, StorageKeys.BucketOf("sub-42"));
        Assert.Equal("op|op%2F1|02", StorageKeys.TaskPartition("op/1", "s"));
    }

    // The keys below are stored: tasks written by one version are read and counted by the next, so each is pinned to
    // the layout docs/store.md describes. A change here strands existing rows (or miscounts them) and must be a migration.

    [Theory]
    [InlineData("sub-1", 27, 1, 2)]
    [InlineData("sub-42", 18, 2, 2)]
    [InlineData("dev-7/sub", 25, 0, 1)]
    [InlineData("s", 2, 1, 0)]
    public void BucketAndShard_AreFixedFunctionsOfTheSubTaskId(string subOperationId, int bucket, int shardOfThree, int shardOfFour)
    {
        Assert.Equal(bucket, StorageKeys.BucketOf(subOperationId));
        Assert.Equal(shardOfThree, StorageKeys.ShardOf(subOperationId, 3));
        Assert.Equal(shardOfFour, StorageKeys.ShardOf(subOperationId, 4));
    }

    [Fact]
    public void IndexRow_OfAnUnsettledSubTask_SortsByTheMinuteOfItsLastPush_AndOfASettledOne_ByIdAlone()
    {
        var minute = new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.Zero);
        var ticks = minute.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal($"p|downloading|{ticks}|a%2Fb",
            StorageKeys.IndexRow(new CountedState("downloading", Active: true, CountedState.MinuteOf(minute.AddSeconds(42))), "a/b"));
        Assert.Equal("p|succeeded|a%2Fb", StorageKeys.IndexRow(new CountedState("succeeded", Active: false, 0), "a/b"));
        Assert.Equal("p|downloading|", StorageKeys.PhaseIndexStart("downloading"));
        Assert.Equal("p|downloading}", StorageKeys.PhaseIndexStop("downloading"));
        Assert.Equal($"p|downloading|{ticks}", StorageKeys.StalledStop("downloading", minute.UtcTicks));
    }

    [Fact]
    public void TaskDeviceAndCounterKeys_KeepTheirLayout()
    {
        var lastUpdate = new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.Zero);
        var left = (DateTimeOffset.MaxValue.UtcTicks - lastUpdate.UtcTicks).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal("t|op%7C1", StorageKeys.TaskRow("op|1"));
        Assert.Equal($"r|{left}|op%7C1", StorageKeys.TaskActivityRow(lastUpdate, "op|1"));
        Assert.Equal("s|sub%231", StorageKeys.SubTaskRow("sub#1"));
        Assert.Equal("c|2", StorageKeys.CounterRow(2));
        Assert.Equal("dev|dev%2F7", StorageKeys.DevicePartition("dev/7"));
        var expected = "t|" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("op-1\nsub-1"u8.ToArray()));
        Assert.Equal(expected, StorageKeys.DeviceRow("op-1", "sub-1"));
    }

    [Fact]
    public void TaskActivityRows_SortMostRecentFirst()
    {
        var earlier = StorageKeys.TaskActivityRow(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), "a");
        var later = StorageKeys.TaskActivityRow(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero), "a");

        Assert.True(string.CompareOrdinal(later, earlier) < 0);
    }

    [Fact]
    public void PhaseNames_ParseBack_AndAnUnknownNameIsNoPhase()
    {
        foreach (var phase in UpgradePhases.All)
        {
            Assert.Equal(phase, UpgradePhases.Parse(phase.Name()));
            Assert.Equal(phase.Name(), ((UpgradePhase?)phase).NameOrNone());
        }

        Assert.Null(UpgradePhases.Parse("bogus"));
        Assert.Null(UpgradePhases.Parse(null));
        Assert.Equal("none", ((UpgradePhase?)null).NameOrNone());
    }

    [Theory]
    [InlineData("op-1")]
    [InlineData("r|0000000000000000001|op-1")] // an id that looks like an activity row
    [InlineData("t|op-1")]
    public void ReconcileBackOffRow_IsNeitherATaskRowNorInTheActivityRange(string operationId)
    {
        var row = StorageKeys.ReconcileBackOffRow(operationId);

        Assert.NotEqual(StorageKeys.TaskRow(operationId), row);
        Assert.False(string.CompareOrdinal(row, StorageKeys.TaskActivityPrefix) >= 0 && string.CompareOrdinal(row, StorageKeys.TaskActivityEnd) < 0);
        Assert.False(row.StartsWith("t|", StringComparison.Ordinal));
    }

    [Fact]
    public void TaskActivityBefore_EndsTheRangeAfterTheRowsActiveAtOrAfterTheInstant_AndBeforeOlderOnes()
    {
        var since = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
        var end = StorageKeys.TaskActivityBefore(since);

        Assert.True(string.CompareOrdinal(StorageKeys.TaskActivityRow(since.AddMinutes(1), "op~%|}"), end) < 0);
        Assert.True(string.CompareOrdinal(StorageKeys.TaskActivityRow(since, "\u00ff op"), end) < 0);
        Assert.True(string.CompareOrdinal(StorageKeys.TaskActivityRow(since.AddTicks(-1), "op"), end) >= 0);
        Assert.True(string.CompareOrdinal(end, StorageKeys.TaskActivityEnd) < 0);
    }
}
