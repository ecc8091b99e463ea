using SwUpgrade.Cli.Simulation;

namespace SwUpgradeFunc.Tests.Simulation;

public class SimulationOptionsTests
{
    private static readonly Uri Local = new("http://127.0.0.1:7071/v1.0.0/messageReceiver");

    [Theory]
    [InlineData("http://127.0.0.1:7071/v1.0.0/messageReceiver")]
    [InlineData("http://127.8.9.10/x")]
    [InlineData("https://localhost:7071/v1.0.0/messageReceiver")]
    [InlineData("http://[::1]:7071/v1.0.0/messageReceiver")]
    public void A_loopback_target_is_accepted(string url) =>
        Assert.Null(TargetPolicy.Check(new Uri(url), allowRemote: false, "--target"));

    [Theory]
    [InlineData("https://swupgrade.example.net/v1.0.0/messageReceiver")]
    [InlineData("http://10.0.0.5:7071/v1.0.0/messageReceiver")]
    [InlineData("http://localhost.example.net/v1.0.0/messageReceiver")]
    public void Another_host_is_refused_unless_remote_targets_are_allowed(string url)
    {
        var problem = TargetPolicy.Check(new Uri(url), allowRemote: false, "--target");

        Assert.NotNull(problem);
        Assert.Contains("--allow-remote", problem, StringComparison.Ordinal);
        Assert.Null(TargetPolicy.Check(new Uri(url), allowRemote: true, "--target"));
    }

    [Fact]
    public void A_target_that_is_not_http_is_refused_even_when_remote_is_allowed() =>
        Assert.NotNull(TargetPolicy.Check(new Uri("ftp://127.0.0.1/x"), allowRemote: true, "--target"));

    [Fact]
    public void Defaults_are_valid() => Assert.Empty(new SimulationOptions { Target = Local }.Validate());

    [Fact]
    public void Counts_rates_shares_and_durations_are_bounded()
    {
        var options = new SimulationOptions
        {
            Target = Local,
            Devices = SimulationOptions.MaxDevices + 1,
            Rate = 0,
            Concurrency = 0,
            DuplicateRatio = 1.5,
            ReorderRatio = -0.1,
            FailRatio = double.NaN,
            MaxDuration = SimulationOptions.MaxDurationLimit + TimeSpan.FromSeconds(1),
        };

        var errors = options.Validate();

        foreach (var option in new[] { "--devices", "--rate", "--concurrency", "--duplicates", "--reorder", "--fail", "--max-duration" })
        {
            Assert.Contains(errors, e => e.StartsWith(option, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_status_url_defaults_to_the_target_host_and_is_checked_only_when_verifying()
    {
        var remoteStatus = new SimulationOptions { Target = Local, StatusBaseUrl = new Uri("https://ops.example.net/") };

        Assert.Equal(new Uri("http://127.0.0.1:7071/"), new SimulationOptions { Target = Local }.EffectiveStatusBaseUrl);
        Assert.Empty(remoteStatus.Validate());
        Assert.Contains((remoteStatus with { Verify = true }).Validate(), e => e.StartsWith("--status-url", StringComparison.Ordinal));
    }
}
