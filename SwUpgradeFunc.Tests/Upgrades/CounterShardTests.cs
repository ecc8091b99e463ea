using Azure;
using Azure.Data.Tables;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>One counter row on its own: moving sub-tasks between what it counts, the stalled histogram, and its stored form.</summary>
public class CounterShardTests
{
    private const long Minute = 29_000_000; // a minute number (minutes since year 1), as CountedState holds it

    private static CountedState Unsettled(string phase, long minute) => new(phase, Active: true, minute);

    private static CountedState Settled(string phase) => new(phase, Active: false, Minute);

    [Fact]
    public void Move_CountsANewSubTask_ThenMovesIt_AndSaysWhenNothingChanged()
    {
        var shard = new CounterShard();

        Assert.True(shard.Move(null, Unsettled("downloading", Minute)));
        Assert.True(shard.Move(Unsettled("downloading", Minute), Unsettled("updating", Minute + 3)));
        Assert.False(shard.Move(Unsettled("updating", Minute + 3), Unsettled("updating", Minute + 3)));
        Assert.True(shard.Move(Unsettled("updating", Minute + 3), Settled("succeeded")));

        Assert.Equal(1, shard.Phases["succeeded"]);
        Assert.All(shard.Phases.Where(p => p.Key != "succeeded"), p => Assert.Equal(0, p.Value));
        Assert.Equal(0, shard.ActiveBefore(long.MaxValue));
    }

    [Fact]
    public void ActiveBefore_CountsUnsettledSubTasks_WhoseLastPushWasBeforeTheCutoffMinute()
    {
        var shard = new CounterShard();
        shard.Add(Unsettled("downloading", Minute), +1);
        shard.Add(Unsettled("updating", Minute), +1);
        shard.Add(Unsettled("downloading", Minute + 1), +1);
        shard.Add(Unsettled("idle", Minute + 5), +1);
        shard.Add(Settled("failed"), +1);

        Assert.Equal(0, shard.ActiveBefore(Minute));
        Assert.Equal(2, shard.ActiveBefore(Minute + 1));
        Assert.Equal(3, shard.ActiveBefore(Minute + 2));
        Assert.Equal(3, shard.ActiveBefore(Minute + 5));
        Assert.Equal(4, shard.ActiveBefore(Minute + 6));
    }

    [Fact]
    public void StoredForm_RoundTrips_WithLargeGapsAndCounts_AndDropsEmptyMinutes()
    {
        var shard = new CounterShard();
        foreach (var _ in Enumerable.Range(0, 300))
        {
            shard.Add(Unsettled("downloading", Minute), +1); // a count that needs two bytes
        }

        shard.Add(Unsettled("updating", Minute + 1_000_000), +1); // a gap that needs three bytes
        shard.Add(Unsettled("idle", Minute + 7), +1);
        shard.Add(Unsettled("idle", Minute + 7), -1); // gone again: no entry left for that minute
        shard.Add(Settled("succeeded"), +1);

        var entity = shard.ToEntity("op|x|00", "c|1");
        entity.ETag = new ETag("W/\"1\"");
        var read = CounterShard.From(entity);

        Assert.Equal(("op|x|00", "c|1"), (entity.PartitionKey, entity.RowKey));
        Assert.Equal((300, 1, 0, 1), (entity.GetInt32("downloading"), entity.GetInt32("updating"), entity.GetInt32("idle"), entity.GetInt32("succeeded")));
        Assert.Equal(shard.Phases, read.Phases);
        Assert.Equal(new ETag("W/\"1\""), read.ETag);
        Assert.Equal(0, read.ActiveBefore(Minute));
        Assert.Equal(300, read.ActiveBefore(Minute + 1));
        Assert.Equal(300, read.ActiveBefore(Minute + 1_000_000));
        Assert.Equal(301, read.ActiveBefore(Minute + 1_000_001));
        // 2 entries: minute (4 bytes) + count (2 bytes), gap (3 bytes) + count (1 byte); the emptied minute left nothing.
        Assert.Equal(10, entity.GetBinary("ActiveByMinute")!.Length);
    }

    [Fact]
    public void From_ARowWithoutColumns_CountsNothing()
    {
        var read = CounterShard.From(new TableEntity("p", "c|0"));

        Assert.Equal(UpgradePhases.Names, read.Phases.Keys);
        Assert.All(read.Phases.Values, v => Assert.Equal(0, v));
        Assert.Equal(0, read.ActiveBefore(long.MaxValue));
    }

    [Fact]
    public void Clone_IsIndependentOfTheOriginal()
    {
        var shard = new CounterShard { ETag = new ETag("a") };
        shard.Add(Unsettled("downloading", Minute), +1);

        var copy = shard.Clone();
        copy.Move(Unsettled("downloading", Minute), Settled("failed"));

        Assert.Equal((1, 0, 1), (shard.Phases["downloading"], shard.Phases["failed"], shard.ActiveBefore(Minute + 1)));
        Assert.Equal((0, 1, 0), (copy.Phases["downloading"], copy.Phases["failed"], copy.ActiveBefore(Minute + 1)));
        Assert.Equal(new ETag("a"), copy.ETag);
    }

    [Theory]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16_384)]
    public void StoredForm_RoundTrips_CountsAndGapsAtTheByteBoundaries(int n)
    {
        var shard = new CounterShard();
        foreach (var _ in Enumerable.Range(0, n))
        {
            shard.Add(Unsettled("idle", n), +1); // the minute number doubles as the first gap
        }

        var read = CounterShard.From(shard.ToEntity("p", "c|0"));

        Assert.Equal((0, n), (read.ActiveBefore(n), read.ActiveBefore(n + 1)));
    }

    [Fact]
    public void CountedState_OfASubTaskRow_ReadsPhaseSettlementAndTheMinuteOfItsLastPush()
    {
        var lastUpdate = new DateTimeOffset(2026, 11, 26, 9, 30, 42, TimeSpan.Zero);
        var unsettled = new TableEntity("p", "s|a") { ["Phase"] = "updating", ["LastUpdate"] = lastUpdate };
        var settled = new TableEntity("p", "s|b") { ["Phase"] = "failed", ["LastUpdate"] = lastUpdate };
        var unknown = new TableEntity("p", "s|c") { ["LastUpdate"] = lastUpdate };

        Assert.Equal(new CountedState("updating", true, CountedState.MinuteOf(lastUpdate)), CountedState.Of(unsettled));
        Assert.Equal(new CountedState("failed", false, CountedState.MinuteOf(lastUpdate)), CountedState.Of(settled));
        Assert.Equal(new CountedState("none", true, CountedState.MinuteOf(lastUpdate)), CountedState.Of(unknown));
        Assert.Equal(lastUpdate.UtcTicks / TimeSpan.TicksPerMinute, CountedState.MinuteOf(lastUpdate));
    }
}
