using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>Prints a suite's results as Markdown and keeps a copy under BenchmarkDotNet.Artifacts/results.</summary>
internal sealed class Report(string suite)
{
    private readonly StringBuilder _text = new();

    public void Line(string line = "")
    {
        Console.WriteLine(line);
        _text.AppendLine(line);
    }

    /// <summary>A progress note on stderr, kept out of the results.</summary>
    public static void Progress(string note) =>
        Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {note}");

    public void Header(string command, string storage, string load)
    {
        Line($"## {suite}");
        Line();
        Line($"- command: `{command}`");
        Line($"- date: {DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC");
        Line($"- machine: {Machine()}");
        Line($"- storage: {storage} on 127.0.0.1, same machine");
        Line($"- load: {load}");
        Line();
    }

    public void Results(IEnumerable<LoadResult> results)
    {
        Line("| run | done | failed | seconds | per second | p50 ms | p95 ms | p99 ms |");
        Line("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Line(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Completed} | {r.Failed} | {r.Elapsed.TotalSeconds:0.00} | {r.PerSecond:0} | {r.P50Ms:0.0} | {r.P95Ms:0.0} | {r.P99Ms:0.0} |"));
        }

        Line();
        foreach (var r in results.Where(r => r.FirstError is not null))
        {
            Line($"- {r.Name}: first error: {r.FirstError}");
        }
    }

    public string Save()
    {
        var dir = Path.Combine(AzuriteProcess.RepositoryRoot(), "BenchmarkDotNet.Artifacts", "results");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"load-{suite}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.md");
        File.WriteAllText(path, _text.ToString());
        Console.WriteLine($"(saved to {path})");
        return path;
    }

    public static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
            // Not Linux.
        }

        return $"{Environment.ProcessorCount} logical cores ({cpu}), {RuntimeInformation.OSDescription}, " +
               $"{RuntimeInformation.FrameworkDescription}, Server GC {System.Runtime.GCSettings.IsServerGC}";
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
