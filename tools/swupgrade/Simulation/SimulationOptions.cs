namespace SwUpgrade.Cli.Simulation;

/// <summary>Which upgrade notifications the simulated fleet pushes.</summary>
public enum FleetKind
{
    /// <summary>swUpgradeStateChangeNotify (downloading, downloaded, updating, idle), then swUpgradeResultNotify.</summary>
    Software,

    /// <summary>fwUpgradeStateChangeNotify (steps 1, 2, 3, 0), then fwUpgradeResultNotify.</summary>
    Firmware,

    /// <summary>Even devices software, odd devices firmware.</summary>
    Mixed,
}

/// <summary>
/// What <c>swupgrade simulate</c> does: N devices of one upgrade task, each pushed through a full lifecycle to a
/// callback URL at a target rate. Every quantity is bounded (<see cref="Validate"/>), so a run is bounded in count and
/// time; targets other than loopback are refused unless <see cref="AllowRemote"/>.
/// </summary>
public sealed record SimulationOptions
{
    public const int MaxDevices = 100_000;
    public const double MaxRate = 5_000;
    public const int MaxConcurrency = 512;
    public static readonly TimeSpan MaxDurationLimit = TimeSpan.FromHours(1);

    /// <summary>The callback URL, e.g. http://127.0.0.1:7071/v1.0.0/messageReceiver.</summary>
    public required Uri Target { get; init; }

    public int Devices { get; init; } = 100;

    /// <summary>Pushes per second to aim for.</summary>
    public double Rate { get; init; } = 100;

    public FleetKind Kind { get; init; } = FleetKind.Software;

    /// <summary>The share of pushes sent a second time, one or two lifecycle waves later (as a platform retry would).</summary>
    public double DuplicateRatio { get; init; }

    /// <summary>The share of devices two of whose consecutive pushes arrive swapped (as a backlog drain can).</summary>
    public double ReorderRatio { get; init; }

    /// <summary>The share of devices whose upgrade ends with FAIL rather than SUCCESS.</summary>
    public double FailRatio { get; init; }

    /// <summary>Seeds every random choice: the same seed gives the same schedule.</summary>
    public int Seed { get; init; } = 1;

    public string AppId { get; init; } = "swupgrade-simulator";

    /// <summary>The upgrade task the fleet belongs to; by default unique per run.</summary>
    public string OperationId { get; init; } = $"sim-{Guid.NewGuid():N}";

    /// <summary>Pushes in flight at most.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>The run stops sending after this long, whether or not every push was sent.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>As the platform: a push not answered within 15 s counts as failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public bool AllowRemote { get; init; }

    /// <summary>Sending stops after this many pushes in a row could not connect: nothing is listening at the target.</summary>
    public int ConnectionFailureLimit { get; init; } = 5;

    /// <summary>After sending, query the status API until every device reached its final phase (or the verify timeout).</summary>
    public bool Verify { get; init; }

    /// <summary>The status API's base address (the function app); by default the target's scheme, host and port.</summary>
    public Uri? StatusBaseUrl { get; init; }

    /// <summary>A function key for the status API, sent as x-functions-key.</summary>
    public string? FunctionKey { get; init; }

    public TimeSpan VerifyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The platform's certificate to present (<c>--client-cert</c>): to a target on this machine in the header Azure's
    /// front end would set (no front end runs locally), to a remote target in the TLS handshake.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; init; }

    /// <summary>The <c>X-ARR-ClientCert</c> value each push carries, or null.</summary>
    public string? ForwardedClientCertificate =>
        ClientCertificate is not null && TargetPolicy.IsLoopback(Target) ? PresentedCertificate.HeaderValue(ClientCertificate) : null;

    public Uri EffectiveStatusBaseUrl => StatusBaseUrl ?? new Uri(Target.GetLeftPart(UriPartial.Authority) + "/");

    /// <summary>Every problem with these options, as sentences; empty when they are fine.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Devices is < 1 or > MaxDevices)
        {
            errors.Add($"--devices must be from 1 to {MaxDevices}.");
        }

        if (double.IsNaN(Rate) || Rate is < 0.1 or > MaxRate)
        {
            errors.Add($"--rate must be from 0.1 to {MaxRate} pushes per second.");
        }

        if (Concurrency is < 1 or > MaxConcurrency)
        {
            errors.Add($"--concurrency must be from 1 to {MaxConcurrency}.");
        }

        foreach (var (name, value) in new[] { ("--duplicates", DuplicateRatio), ("--reorder", ReorderRatio), ("--fail", FailRatio) })
        {
            if (double.IsNaN(value) || value is < 0 or > 1)
            {
                errors.Add($"{name} must be a share from 0 to 1.");
            }
        }

        if (MaxDuration <= TimeSpan.Zero || MaxDuration > MaxDurationLimit)
        {
            errors.Add($"--max-duration must be more than 0 and at most {MaxDurationLimit.TotalSeconds:0} seconds.");
        }

        if (VerifyTimeout <= TimeSpan.Zero || VerifyTimeout > MaxDurationLimit)
        {
            errors.Add($"--verify-timeout must be more than 0 and at most {MaxDurationLimit.TotalSeconds:0} seconds.");
        }

        if (string.IsNullOrWhiteSpace(OperationId) || OperationId.Length > 256)
        {
            errors.Add("--operation-id must be 1 to 256 characters.");
        }

        if (string.IsNullOrWhiteSpace(AppId) || AppId.Length > 256)
        {
            errors.Add("--app-id must be 1 to 256 characters.");
        }

        if (TargetPolicy.Check(Target, AllowRemote, "--target") is { } targetProblem)
        {
            errors.Add(targetProblem);
        }

        if (ClientCertificate is { HasPrivateKey: false } && !TargetPolicy.IsLoopback(Target))
        {
            errors.Add($"{PresentedCertificate.Flag}: a remote target gets the certificate in the TLS handshake, which needs its private key (a PFX, or a PEM with the key).");
        }

        if (Verify && TargetPolicy.Check(EffectiveStatusBaseUrl, AllowRemote, "--status-url") is { } statusProblem)
        {
            errors.Add(statusProblem);
        }

        return errors;
    }
}
