using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>The processor's write, for tests of the store: the state machine decides, the store commits.</summary>
public static class StoreWrites
{
    /// <summary>The history limit of the default options, which the tests' stores use.</summary>
    public static readonly int HistoryLimit = new UpgradesOptions().HistoryLimit;

    public static Task<Transition> ApplyAsync(this UpgradeStateStore store, NotificationEnvelope envelope, CancellationToken cancellationToken) =>
        store.ApplyAsync(envelope, HistoryLimit, cancellationToken);

    public static Task<Transition> ApplyAsync(this UpgradeStateStore store, NotificationEnvelope envelope, int historyLimit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.ApplyAsync(SubTaskWrite.Of(envelope), current => UpgradeStateMachine.Apply(current, envelope, historyLimit), cancellationToken);
    }
}
