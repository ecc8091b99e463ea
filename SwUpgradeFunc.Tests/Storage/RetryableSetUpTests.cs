using SwUpgradeFunc.Storage;

namespace SwUpgradeFunc.Tests.Storage;

public sealed class RetryableSetUpTests
{
    [Fact]
    public async Task ConcurrentCallers_ShareOneAttempt_AndASucceededSetUpIsNeverRunAgain()
    {
        var runs = 0;
        var gate = new TaskCompletionSource();
        var setUp = new RetryableSetUp(async () =>
        {
            Interlocked.Increment(ref runs);
            await gate.Task;
        });

        var first = setUp.EnsureAsync();
        var second = setUp.EnsureAsync();
        gate.SetResult();
        await Task.WhenAll(first, second);
        await setUp.EnsureAsync();

        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task AFailedAttempt_IsTriedAgainByTheNextCaller_AndItsFailureReachesItsCallers()
    {
        var runs = 0;
        var setUp = new RetryableSetUp(() => ++runs == 1 ? throw new IOException("blip") : Task.CompletedTask);

        var failure = await Assert.ThrowsAsync<IOException>(setUp.EnsureAsync);
        await setUp.EnsureAsync();
        await setUp.EnsureAsync();

        Assert.Equal("blip", failure.Message);
        Assert.Equal(2, runs);
    }
}
