using System.Globalization;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The knobs of the Azurite load suites: <c>--count</c>, <c>--concurrency</c>, <c>--rounds</c>, <c>--time-limit</c>,
/// <c>--disk</c>, <c>--rate</c> (push suite), <c>--failed</c> (processor suite: the share of devices whose result is FAIL, in %).
/// </summary>
internal sealed record LoadSettings(int Count, int Concurrency, int Rounds, bool OnDisk, TimeSpan RunLimit, double Rate = 800, int FailedPercent = 0)
{
    public static LoadSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new LoadSettings(Count: 10_000, Concurrency: 32, Rounds: 3, OnDisk: false, RunLimit: TimeSpan.FromSeconds(60));
        for (var i = 0; i < args.Count; i++)
        {
            settings = args[i] switch
            {
                "--count" => settings with { Count = Bounded(args, ++i, 100, 200_000) },
                "--concurrency" => settings with { Concurrency = Bounded(args, ++i, 1, 512) },
                "--rounds" => settings with { Rounds = Bounded(args, ++i, 1, 10) },
                "--time-limit" => settings with { RunLimit = TimeSpan.FromSeconds(Bounded(args, ++i, 5, 600)) },
                "--disk" => settings with { OnDisk = true },
                "--rate" => settings with { Rate = Bounded(args, ++i, 1, 5000) },
                "--failed" => settings with { FailedPercent = Bounded(args, ++i, 0, 100) },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }

        return settings;
    }

    private static int Bounded(IReadOnlyList<string> args, int index, int min, int max)
    {
        if (index >= args.Count || !int.TryParse(args[index], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ||
            value < min || value > max)
        {
            throw new ArgumentException($"'{args[index - 1]}' needs a whole number from {min} to {max}.");
        }

        return value;
    }

    public override string ToString() =>
        $"{Count} messages per run, concurrency {Concurrency}, {Rounds} rounds (baseline and path alternating), " +
        $"each run capped at {RunLimit.TotalSeconds:0} s" + (FailedPercent > 0 ? $", {FailedPercent} % of devices failing" : "");
}
