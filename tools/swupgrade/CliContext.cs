using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli;

/// <summary>What a command needs from outside: output writers, the environment, and test hooks.</summary>
public sealed class CliContext
{
    public required TextWriter Stdout { get; init; }

    public required TextWriter Stderr { get; init; }

    /// <summary>Environment variables (SWUPGRADE_*). Names are compared case-insensitively.</summary>
    public required IReadOnlyDictionary<string, string?> Environment { get; init; }

    /// <summary>Adjusts the platform client's options after they were read from flags and environment (tests: retry delays).</summary>
    public Action<PlatformClientOptions>? ConfigureClient { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public string? Env(string name) =>
        Environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
}
