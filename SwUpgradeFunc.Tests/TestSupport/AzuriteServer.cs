using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// A real Azurite (from tools/local's npm install) on 127.0.0.1, random free ports, in memory. One process serves the
/// whole test run; tests isolate themselves with their own queue and table names. When Azurite cannot be started the
/// tests that need it fail with the reason: they never skip.
/// </summary>
public sealed class AzuriteServer : IDisposable
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<AzuriteServer> SharedInstance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Process _process;

    private AzuriteServer(Process process, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public static AzuriteServer Shared => SharedInstance.Value;

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    /// <summary>A connection string whose endpoints point at closed ports on loopback: storage that is down.</summary>
    public static string UnreachableConnectionString()
    {
        var port = FreePort();
        return $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
               $"BlobEndpoint=http://127.0.0.1:{port}/{AccountName};QueueEndpoint=http://127.0.0.1:{port}/{AccountName};" +
               $"TableEndpoint=http://127.0.0.1:{port}/{AccountName};";
    }

    public static string NewName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 20, 63)];

    private static AzuriteServer Start()
    {
        var executable = Environment.GetEnvironmentVariable("AZURITE_BIN");
        if (string.IsNullOrEmpty(executable))
        {
            executable = RepositoryPaths.Combine("tools", "local", "node_modules", ".bin", "azurite");
        }

        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed at {executable}. Run `npm ci --prefix tools/local` (the README's test command does).");
        }

        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var workDir = Directory.CreateTempSubdirectory("azurite-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--blobHost", "127.0.0.1", "--blobPort", $"{blob}",
                     "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{table}",
                     "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process);

        var deadline = Stopwatch.StartNew();
        while (!(Listening(blob) && Listening(queue) && Listening(table)))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                Stop(process);
                string log;
                lock (output)
                {
                    log = output.ToString();
                }

                throw new InvalidOperationException($"Azurite did not come up on 127.0.0.1:{blob}/{queue}/{table}. Output:\n{log}");
            }

            Thread.Sleep(100);
        }

        return new AzuriteServer(process, blob, queue, table);
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose() => Stop(_process);
}
