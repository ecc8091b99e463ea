using System.ComponentModel.DataAnnotations;

namespace SwUpgradeFunc.Reconciliation;

/// <summary>The reconciliation timer (section <c>Reconcile</c>).</summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Reconcile";

    /// <summary>The setting that held the interval before the schedule did; a leftover value stops the start naming its successor.</summary>
    public const string RetiredIntervalSetting = "Reconcile__IntervalMinutes";

    /// <summary>
    /// The timer trigger's schedule setting (six-field CRON). Flat, outside the section, for the same reason as
    /// <c>NotificationsQueueName</c>: the host and the scale controller resolve a binding expression against the app
    /// settings by their literal names, not through the app's configuration binder.
    /// </summary>
    public const string ScheduleSetting = "ReconcileSchedule";

    public const string DefaultSchedule = "0 */15 * * * *";

    /// <summary>
    /// When the timer fires (six-field CRON with seconds, UTC unless WEBSITE_TIME_ZONE says otherwise). The host reads
    /// it for the trigger (<c>%ReconcileSchedule%</c>); it is read here so that a value the host would refuse stops
    /// the start with the setting named.
    /// </summary>
    [Required]
    [CronSchedule(ScheduleSetting)]
    public string Schedule { get; set; } = DefaultSchedule;

    /// <summary>Only tasks with a push within this many days (counted back from the schedule's last run) are candidates.</summary>
    [Range(1, 365)]
    public int WindowDays { get; set; } = 7;

    /// <summary>The longest a task whose stalled sub-tasks the platform also reports unsettled waits before it is asked again.</summary>
    [Range(1, 720)]
    public int MaxBackOffHours { get; set; } = 24;

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

/// <summary>A six-field CRON expression (with seconds) as the Functions host's timer trigger reads it.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class CronScheduleAttribute(string setting) : ValidationAttribute
{
    /// <summary>The app setting the value comes from, as the message names it.</summary>
    public string Setting { get; } = setting;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        if (value is string text && NCrontab.CrontabSchedule.TryParse(text, new NCrontab.CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null)
        {
            return ValidationResult.Success;
        }

        return new ValidationResult(
            $"{Setting} must be a six-field CRON expression with seconds (second minute hour day month weekday), e.g. {ReconciliationOptions.DefaultSchedule}.",
            [validationContext.MemberName ?? nameof(ReconciliationOptions.Schedule)]);
    }
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
