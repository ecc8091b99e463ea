using System.ComponentModel.DataAnnotations;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>The reconciliation timer (section <c>Reconcile</c>).</summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Reconcile";

    /// <summary>Minutes between two reconciliation runs; the timer fires every minute and runs on the multiples of this.</summary>
    [Range(1, 1440)]
    public int IntervalMinutes { get; set; } = 15;

    /// <summary>Upgrade tasks reconciled in one run at most; the rest wait for the next run.</summary>
    [Range(1, 1000)]
    public int MaxTasksPerRun { get; set; } = 10;

    /// <summary>
    /// Platform calls one run may make at most (one per task, one per page of 100 sub-tasks, plus a login). The platform
    /// allows an application 100 calls per minute; the rest stays for the operator's own commands.
    /// </summary>
    [Range(2, 100)]
    public int MaxPlatformCallsPerRun { get; set; } = 60;
}

/// <summary>The platform's northbound API (section <c>Platform</c>); all three must be set for reconciliation to run.</summary>
public sealed class PlatformOptions
{
    public const string Section = "Platform";

    /// <summary>A property's name as an app setting (<c>Platform__BaseUrl</c>), as operators set it and messages name it.</summary>
    public static string SettingName(string property) => Section + "__" + property;

    public string? BaseUrl { get; set; }

    public string? AppId { get; set; }

    /// <summary>A Key Vault reference in Azure; never logged.</summary>
    public string? AppSecret { get; set; }

    /// <summary>Optional PEM/DER file with the platform's CA certificate(s), trusted in addition to the system's.</summary>
    public string? CaFile { get; set; }

    /// <summary>Adjusts the client's settings after they were read (tests: retry delays). Not bound from configuration.</summary>
    public Action<SwUpgradeFunc.Platform.PlatformClientOptions>? Customize { get; set; }

    /// <summary>The names of the settings that are missing, empty when reconciliation can run.</summary>
    public IReadOnlyList<string> Missing()
    {
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(BaseUrl))
        {
            missing.Add(PlatformAdvice.BaseUrlSetting);
        }

        if (string.IsNullOrWhiteSpace(AppId))
        {
            missing.Add(PlatformAdvice.AppIdSetting);
        }

        if (string.IsNullOrEmpty(AppSecret))
        {
            missing.Add(PlatformAdvice.AppSecretSetting);
        }

        return missing;
    }
}
