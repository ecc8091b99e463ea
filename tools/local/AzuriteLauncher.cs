using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SwUpgradeFunc.Local;

/// <summary>
/// Starts the Azurite of tools/local (`npm ci --prefix tools/local`; AZURITE_BIN overrides the path) on 127.0.0.1 with
/// random free ports, in memory or on disk in a temporary folder, and stops it again. One source file, compiled into
/// the tests and the benchmarks, so that both run Azurite the same way.
/// </summary>
internal sealed class AzuriteLauncher : IDisposable
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;

    private AzuriteLauncher(Process process, string workDirectory, int blobPort, int queuePort, int tablePort, bool onDisk)
    {
        _process = process;
        WorkDirectory = workDirectory;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        OnDisk = onDisk;
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>tools/local/node_modules, where `npm ci` puts Azurite.</summary>
    public static string NodeModules => Path.Combine(RepositoryRoot, "tools", "local", "node_modules");

    public string WorkDirectory { get; }
    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }
    public bool OnDisk { get; }

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";

    /// <summary>Starts Azurite and waits until it listens; throws with Azurite's output when it does not come up.</summary>
    public static AzuriteLauncher Start(bool onDisk = false)
    {
        var executable = Environment.GetEnvironmentVariable("AZURITE_BIN");
        if (string.IsNullOrEmpty(executable))
        {
            executable = Path.Combine(NodeModules, ".bin", "azurite");
        }

        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed at {executable}. Run `npm ci --prefix tools/local` (tools/test.sh does).");
        }

        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var workDirectory = Directory.CreateTempSubdirectory("azurite-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workDirectory,
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

        // In memory, or on disk in the temporary folder (Azurite refuses both at once).
        foreach (var arg in onDisk ? new[] { "--location", workDirectory } : ["--inMemoryPersistence"])
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
        while (!(Listening(blob) && Listening(queue) && Listening(table)))
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                Stop(process);
                lock (output)
                {
                    throw new InvalidOperationException(
                        $"Azurite did not come up on 127.0.0.1:{blob}/{queue}/{table}. Output:\n{output}");
                }
            }

            Thread.Sleep(100);
        }

        return new AzuriteLauncher(process, workDirectory, blob, queue, table, onDisk);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Stop(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean up.
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

    private static void Stop(Process process)
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

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SwUpgradeFunc.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SwUpgradeFunc.slnx above {AppContext.BaseDirectory}: run from within the repository.");
    }
}
