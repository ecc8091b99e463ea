using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// Azurite from tools/local (npm ci --prefix tools/local) on 127.0.0.1, random free ports, in memory unless
/// <c>onDisk</c>; started and stopped by the benchmark itself so that the baseline and the measured path share it.
/// </summary>
internal sealed class AzuriteProcess : IDisposable
{
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _workDir;

    private AzuriteProcess(Process process, string workDir, int queuePort, int tablePort, bool onDisk, string version)
    {
        _process = process;
        _workDir = workDir;
        QueuePort = queuePort;
        TablePort = tablePort;
        OnDisk = onDisk;
        Version = version;
    }

    public int QueuePort { get; }

    public int TablePort { get; }

    public bool OnDisk { get; }

    public string Version { get; }

    public string Description => $"Azurite {Version}, {(OnDisk ? "on disk" : "in memory")}";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    public static AzuriteProcess Start(bool onDisk)
    {
        var root = RepositoryRoot();
        var local = Path.Combine(root, "tools", "local", "node_modules");
        var executable = Environment.GetEnvironmentVariable("AZURITE_BIN");
        if (string.IsNullOrEmpty(executable))
        {
            executable = Path.Combine(local, ".bin", "azurite");
        }

        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed at {executable}. Run `npm ci --prefix tools/local` first.");
        }

        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var workDir = Directory.CreateTempSubdirectory("azurite-bench-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            "--blobHost", "127.0.0.1", "--blobPort", $"{blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{table}",
            "--skipApiVersionCheck", "--disableTelemetry", "--silent",
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // In memory, or on disk in the temporary working directory (Azurite refuses both at once).
        foreach (var arg in onDisk ? new[] { "--location", workDir } : ["--inMemoryPersistence"])
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var waited = Stopwatch.StartNew();
        while (!(Listening(queue) && Listening(table)))
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                Kill(process);
                lock (output)
                {
                    throw new InvalidOperationException($"Azurite did not come up on 127.0.0.1. Output:\n{output}");
                }
            }

            Thread.Sleep(100);
        }

        return new AzuriteProcess(process, workDir, queue, table, onDisk, ReadVersion(local));
    }

    public void Dispose()
    {
        Kill(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean up.
        }
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SwUpgradeFunc.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Run the benchmarks from within the repository.");
    }

    private static string ReadVersion(string nodeModules)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(nodeModules, "azurite", "package.json")));
            return json.RootElement.GetProperty("version").GetString() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
