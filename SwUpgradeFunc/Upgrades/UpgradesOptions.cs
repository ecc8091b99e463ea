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
}
