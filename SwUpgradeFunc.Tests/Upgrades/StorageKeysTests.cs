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
        Assert.Equal(StorageKeys.BucketOf("sub-42"), StorageKeys.BucketOf("sub-42"));
        Assert.Equal("op|op%2F1|" + StorageKeys.BucketOf("s").ToString("D2", System.Globalization.CultureInfo.InvariantCulture),
            StorageKeys.TaskPartition("op/1", "s"));
    }
}
