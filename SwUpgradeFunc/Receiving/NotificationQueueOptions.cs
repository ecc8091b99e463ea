using System.ComponentModel.DataAnnotations;

namespace SwUpgradeFunc.Receiving;

/// <summary>
/// The notifications queue (section <c>Notifications</c>). The queue trigger binds to the same key as
/// <c>%Notifications:QueueName%</c>, so sender and trigger cannot disagree.
/// </summary>
public sealed class NotificationQueueOptions
{
    public const string Section = "Notifications";
    public const string QueueNameBinding = "%Notifications:QueueName%";

    /// <summary>Storage queue names: 3-63 lowercase letters, digits and single dashes, not at either end.</summary>
    [Required]
    [RegularExpression("^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$",
        ErrorMessage = "Notifications:QueueName must be a valid storage queue name (3-63 lowercase letters, digits, single dashes).")]
    public string QueueName { get; set; } = "swupgrade-notifications";

    public string PoisonQueueName => QueueName + "-poison";
}
