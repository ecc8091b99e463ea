namespace SwUpgrade.Cli;

/// <summary>The process entry point of <c>swupgrade</c>; all logic is in <see cref="CliApp"/>.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await CliApp.RunAsync(args, Console.Out, Console.Error, environment: null, cancel.Token).ConfigureAwait(false);
    }
}
