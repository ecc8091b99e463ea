using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

public class SubTaskFilterTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("downloading", "downloading")]
    [InlineData("none", "none")]
    [InlineData("failed", "failed")]
    [InlineData("active", "active")]
    [InlineData("stalled", "stalled")]
    public void TryParse_AcceptsEveryPhaseActiveAndStalled_AndNothingForAll(string? value, string? name)
    {
        Assert.True(SubTaskFilter.TryParse(value, out var filter));
        Assert.Equal(name, filter.Name);
    }

    [Theory]
    [InlineData("Downloading")]
    [InlineData("settled")]
    [InlineData(" active")]
    public void TryParse_RefusesAnythingElse(string value) => Assert.False(SubTaskFilter.TryParse(value, out _));

    [Fact]
    public void Ranges_ReadOnlyTheFiltersIndexRows()
    {
        var cutoff = new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.Zero).UtcTicks;
        var at = cutoff.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
        string[] unsettled = ["downloading", "downloaded", "updating", "idle", "none"];
        Assert.True(SubTaskFilter.TryParse("failed", out var failed));
        Assert.True(SubTaskFilter.TryParse("active", out var active));
        Assert.True(SubTaskFilter.TryParse("stalled", out var stalled));

        Assert.Equal([("p|", "p}")], SubTaskFilter.All.Ranges(cutoff));
        Assert.Equal([("p|failed|", "p|failed}")], failed.Ranges(cutoff));
        Assert.Equal(unsettled.Select(p => ($"p|{p}|", $"p|{p}}}")), active.Ranges(cutoff));
        Assert.Equal(unsettled.Select(p => ($"p|{p}|", $"p|{p}|{at}")), stalled.Ranges(cutoff));
        Assert.Equal((1, 1, 5, 5), (SubTaskFilter.All.RangeCount, failed.RangeCount, active.RangeCount, stalled.RangeCount));
    }
}
