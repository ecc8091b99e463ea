using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace SwUpgradeFunc.Receiving;

/// <summary>
/// The notifications queue. Its name is one flat setting, <c>NotificationsQueueName</c>, which the receiver reads
/// here and the queue trigger binds as <c>%NotificationsQueueName%</c>, so sender and trigger cannot disagree.
/// Flat (no <c>:</c>, no <c>__</c>) because the scale controller, which watches the queue from outside the app,
/// has failed to resolve colon names in trigger bindings against <c>__</c> app settings.
/// </summary>
public sealed class NotificationQueueOptions
{
    public const string QueueNameSetting = "NotificationsQueueName";
    public const string QueueNameBinding = "%" + QueueNameSetting + "%";

    /// <summary>The former key (app setting <c>Notifications__QueueName</c>): rejected at start-up, never read.</summary>
    public const string RetiredQueueNameSetting = "Notifications:QueueName";

    /// <summary>Storage queue names: 3-63 lowercase letters, digits and single dashes, not at either end.</summary>
    [ConfigurationKeyName(QueueNameSetting)]
    [Required]
    [RegularExpression("^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$",
        ErrorMessage = QueueNameSetting + " must be a valid storage queue name (3-63 lowercase letters, digits, single dashes).")]
    public string QueueName { get; set; } = "swupgrade-notifications";

    public string PoisonQueueName => QueueName + "-poison";
}
