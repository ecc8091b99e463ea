using SwUpgrade.Cli.Simulation;

namespace SwUpgradeFunc.Tests.Simulation;

public class PacingAndLatencyTests
{
    [Fact]
    public void Pushes_are_due_evenly_spaced_at_the_rate()
    {
        Assert.Equal(TimeSpan.Zero, Pacer.DueAt(0, 800));
        Assert.Equal(TimeSpan.FromSeconds(1), Pacer.DueAt(800, 800));
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), Pacer.DueAt(2, 800));
    }

    [Fact]
    public void The_number_due_grows_with_time_and_stops_at_the_total()
    {
        Assert.Equal(0, Pacer.DueBy(TimeSpan.FromSeconds(-1), 100, 1000));
        Assert.Equal(1, Pacer.DueBy(TimeSpan.Zero, 100, 1000));
        Assert.Equal(101, Pacer.DueBy(TimeSpan.FromSeconds(1), 100, 1000));
        Assert.Equal(1000, Pacer.DueBy(TimeSpan.FromMinutes(1), 100, 1000));
    }

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var recorder = new LatencyRecorder();
        foreach (var ms in Enumerable.Range(1, 100).Reverse())
        {
            recorder.Record(TimeSpan.FromMilliseconds(ms));
        }

        Assert.Equal(100, recorder.Count);
        Assert.Equal(50, recorder.Percentile(50));
        Assert.Equal(95, recorder.Percentile(95));
        Assert.Equal(99, recorder.Percentile(99));
        Assert.Equal(100, recorder.Percentile(100));
    }

    [Fact]
    public void A_single_latency_is_every_percentile_and_none_is_not_a_number()
    {
        var recorder = new LatencyRecorder();
        Assert.True(double.IsNaN(recorder.Percentile(50)));

        recorder.Record(TimeSpan.FromMilliseconds(7));
        Assert.Equal(7, recorder.Percentile(1));
        Assert.Equal(7, recorder.Percentile(99));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Percentile(0));
    }
}
