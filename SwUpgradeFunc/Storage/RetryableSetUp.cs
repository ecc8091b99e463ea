namespace SwUpgradeFunc.Storage;

/// <summary>
/// A storage set-up step (creating a table or a queue) run once per instance and shared by concurrent callers. A failed
/// attempt is forgotten, so the next caller tries again: a storage blip at first use must not break the instance until
/// it restarts.
/// </summary>
public sealed class RetryableSetUp(Func<Task> setUp)
{
    private readonly Lock _gate = new();
    private Task? _attempt;

    /// <summary>Completes when the set-up has succeeded; throws the failure of the current attempt.</summary>
    public Task EnsureAsync()
    {
        lock (_gate)
        {
            if (_attempt is null || _attempt.IsFaulted || _attempt.IsCanceled)
            {
                _attempt = RunAsync();
            }

            return _attempt;
        }
    }

    // An exception thrown before the step's first await becomes a failed attempt, not a throw inside the lock.
    private async Task RunAsync() => await setUp().ConfigureAwait(false);
}
