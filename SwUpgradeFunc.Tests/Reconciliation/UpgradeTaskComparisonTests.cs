using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Reconciliation;

public class UpgradeTaskComparisonTests
{
    private static SubOperation Sub(string id, string status, string? stop = null) =>
        new() { SubOperationId = id, DeviceId = "dev-" + id, Status = status, StopTime = stop };

    [Fact]
    public void Compare_SortsEverySubTaskIntoExactlyOneCount_OrDifference()
    {
        SubOperation[] platform =
        [
            Sub("a", "success"), Sub("b", "FAIL"), Sub("c", "success"), Sub("d", "fail", "20261126T101500Z"), Sub("e", "processing"),
            Sub("f", "stop"), Sub("g", "processing"), Sub("h", "wait"), Sub("i", "processing"), Sub("j", "stop"),
            Sub("a", "success"), // listed twice while paging: counted once
        ];
        var here = new Dictionary<string, string?>
        {
            ["a"] = "succeeded",
            ["b"] = "failed",
            ["c"] = "failed",
            ["d"] = "updating",
            ["e"] = "downloading",
            ["f"] = "succeeded",
            ["g"] = null,
            ["z"] = "idle",
        };

        var c = UpgradeTaskComparison.Compare("op", platform, here);

        Assert.Equal((10, 7, 1), (c.OnPlatform, c.KnownHere, c.UnknownToPlatform));
        Assert.Equal((2, 3, 1), (c.SettledAlike, c.PendingAlike, c.SettledHereOnly)); // a b | e g h | f
        Assert.Equal(
            [
                (SubTaskDifferenceKind.UnknownHere, "i", false), (SubTaskDifferenceKind.UnknownHere, "j", false),
                (SubTaskDifferenceKind.NotSettledHere, "d", true), (SubTaskDifferenceKind.SettledDifferently, "c", true),
            ],
            c.Differences.Select(d => (d.Kind, d.SubOperationId, d.Repairable)));
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 10, 15, 0, TimeSpan.Zero), c.Differences.Single(d => d.SubOperationId == "d").PlatformStopTime);
        Assert.Equal(["d", "c"], c.Repairable.Select(d => d.SubOperationId));
    }

    [Fact]
    public void Compare_FindsNothing_WhenBothSidesAgree()
    {
        var c = UpgradeTaskComparison.Compare("op", [Sub("a", "success"), Sub("b", "wait")], new Dictionary<string, string?> { ["a"] = "succeeded" });

        Assert.Empty(c.Differences);
        Assert.Equal((1, 1), (c.SettledAlike, c.PendingAlike));
    }

    [Fact]
    public void Compare_NamesTheKindOfEachDifference_AndThePhaseRecordedHere()
    {
        var c = UpgradeTaskComparison.Compare("op", [Sub("a", "success"), Sub("b", "fail"), Sub("c", "processing"), Sub("d", "success", null)],
            new Dictionary<string, string?> { ["a"] = "failed", ["b"] = "updating" });

        Assert.Equal(
            [
                ("unknown-here", "c", (string?)null, "processing"), ("unknown-here", "d", null, "success"),
                ("not-settled-here", "b", "updating", "fail"), ("settled-differently", "a", "failed", "success"),
            ],
            c.Differences.Select(d => (d.KindName, d.SubOperationId, d.PhaseHere, d.PlatformStatus)));
    }

    [Fact]
    public void Compare_RefusesMissingInputs()
    {
        Assert.Throws<ArgumentNullException>(() => UpgradeTaskComparison.Compare("op", null!, new Dictionary<string, string?>()));
        Assert.Throws<ArgumentNullException>(() => UpgradeTaskComparison.Compare("op", [], null!));
    }
}
