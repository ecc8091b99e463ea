using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace SwUpgradeFunc.Upgrades;

/// <summary>
/// When the retention timer runs: one flat setting, <c>UpgradesRetentionSchedule</c>, which the timer binds as
/// <c>%UpgradesRetentionSchedule%</c> and which is checked here at start-up. Flat for the same reason as
/// <c>NotificationsQueueName</c>: a trigger's binding expression is resolved outside the app's configuration binder.
/// </summary>
public sealed class RetentionScheduleOptions
{
    public const string ScheduleSetting = "UpgradesRetentionSchedule";
    public const string ScheduleBinding = "%" + ScheduleSetting + "%";

    /// <summary>Six-field CRON (second minute hour day month weekday), as the timer trigger reads it; daily at 03:30 UTC by default.</summary>
    [ConfigurationKeyName(ScheduleSetting)]
    [Required]
    [Reconciliation.CronSchedule(ScheduleSetting)]
    public string Schedule { get; set; } = "0 30 3 * * *";
}
