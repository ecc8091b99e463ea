using System.ComponentModel.DataAnnotations;

namespace SwUpgradeFunc.Upgrades;

/// <summary>Upgrade state storage (section <c>Upgrades</c>).</summary>
public sealed class UpgradesOptions
{
    public const string Section = "Upgrades";

    /// <summary>Table names: 3-63 letters and digits, starting with a letter.</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$",
        ErrorMessage = "Upgrades:TableName must be a valid table name (3-63 letters and digits, starting with a letter).")]
    public string TableName { get; set; } = "swupgradestate";

    /// <summary>
    /// History entries kept per sub-task. The history is one string property (at most 32K characters); 100 entries of
    /// the largest size fit.
    /// </summary>
    [Range(10, 100)]
    public int HistoryLimit { get; set; } = 100;

    /// <summary>An unsettled sub-task with no push for this long is stalled, unless a request says otherwise (1 minute to 30 days).</summary>
    [Range(1, 43_200)]
    public int StalledAfterMinutes { get; set; } = 60;

    /// <summary>A task raises its alert when failed / settled exceeds this share ...</summary>
    [Range(0.0, 1.0)]
    public double FailureRateThreshold { get; set; } = 0.1;

    /// <summary>... once at least this many of its sub-tasks settled.</summary>
    [Range(1, 1_000_000)]
    public int FailureRateMinSettled { get; set; } = 20;

    /// <summary>Tasks whose last activity is older than this many days are deleted by the retention timer; 0 keeps them forever.</summary>
    [Range(0, 36_500)]
    public int RetentionDays { get; set; } = 180;
}
