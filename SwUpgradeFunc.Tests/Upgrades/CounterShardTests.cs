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

    private static CountedState SettledAt(string phase, string version) => new(phase, Active: false, Minute, version);

    [Fact]
    public void Versions_AreMovedWithTheOutcome_AndAVersionAtZeroDisappears()
    {
        var shard = new CounterShard();
        shard.Move(null, SettledAt("failed", "1.0"));
        shard.Move(null, SettledAt("succeeded", "1.0"));
        shard.Move(null, SettledAt("succeeded", ""));

        Assert.True(shard.Move(SettledAt("failed", "1.0"), SettledAt("succeeded", "1.0"))); // a reconciliation changed the outcome
        Assert.True(shard.Move(SettledAt("succeeded", ""), Unsettled("updating", Minute))); // back to upgrading: no version any more

        Assert.Equal(new Dictionary<string, VersionCounts> { ["1.0"] = new(2, 0) }, shard.Versions);
        Assert.Equal(default, shard.OtherVersions);
    }

    [Fact]
    public void Versions_BeyondTheBound_CountInOther_AndEachRemovalFindsItsSettle()
    {
        var shard = new CounterShard();
        var max = VersionCounting.MaxVersionsPerShard;
        for (var v = 0; v < max + 5; v++)
        {
            shard.Move(null, SettledAt("succeeded", $"v{v:D2}"));
        }

        Assert.Equal(max, shard.Versions.Count);
        Assert.Equal(new VersionCounts(5, 0), shard.OtherVersions);

        // v00 falls to zero while others are counted beyond the bound: it keeps its place, so v40 (counted in other) is
        // never named and its removal takes it from other, where it was added.
        shard.Move(SettledAt("succeeded", "v00"), Unsettled("updating", Minute));
        Assert.Equal(new VersionCounts(0, 0), shard.Versions["v00"]);
        shard.Move(null, SettledAt("failed", "v40"));
        Assert.Equal(new VersionCounts(5, 1), shard.OtherVersions);
        for (var v = max; v < max + 5; v++)
        {
            shard.Move(SettledAt("succeeded", $"v{v:D2}"), Unsettled("updating", Minute));
        }

        shard.Move(SettledAt("failed", "v40"), Unsettled("updating", Minute));
        Assert.Equal(default, shard.OtherVersions);
        Assert.All(shard.Versions.Values, counts => Assert.True(counts.Succeeded >= 0 && counts.Failed >= 0));

        // Other is empty again: the version at zero makes room for a new one.
        shard.Move(null, SettledAt("failed", "v99"));
        Assert.False(shard.Versions.ContainsKey("v00"));
        Assert.Equal(new VersionCounts(0, 1), shard.Versions["v99"]);
        Assert.Equal(max, shard.Versions.Values.Sum(c => c.Settled));
        Assert.Equal(max, shard.Phases["succeeded"] + shard.Phases["failed"]);
    }

    [Fact]
    public void StoredForm_RoundTripsVersionsAndOther_WithTheLongestAcceptedVersions()
    {
        var shard = new CounterShard();
        for (var v = 0; v < VersionCounting.MaxVersionsPerShard; v++)
        {
            shard.Move(null, SettledAt(v % 2 == 0 ? "succeeded" : "failed", new string((char)('\u4e00' + v), VersionCounting.MaxNamedLength)));
        }

        shard.Move(null, SettledAt("failed", "beyond"));
        shard.Move(null, SettledAt("succeeded", new string('x', VersionCounting.MaxNamedLength + 1))); // never named

        var entity = shard.ToEntity("pk", "c|0");
        var read = CounterShard.From(entity);

        Assert.True(entity.GetBinary("SettledByVersion")!.Length < 64 * 1024);
        Assert.Equal(shard.Versions, read.Versions);
        Assert.Equal(new VersionCounts(1, 1), read.OtherVersions);
    }
}
