using System.Net.Http.Headers;

namespace SwUpgradeFunc.Platform;

/// <summary>How long to wait before another try at a throttled or briefly unavailable platform.</summary>
public static class RetryBackoff
{
    /// <summary>How far a computed delay may stray from its exponential value, either way (0.2 = ±20 %).</summary>
    public const double JitterShare = 0.2;

    /// <summary>
    /// The delay before retry <paramref name="retry"/> (1 for the first): the server's <c>Retry-After</c> when it sent one,
    /// otherwise <see cref="PlatformClientOptions.RetryBaseDelay"/> doubled per retry with ±20 % jitter
    /// (<paramref name="random"/> in [0, 1) picks where). Both are capped at <see cref="PlatformClientOptions.MaxRetryDelay"/>.
    /// </summary>
    public static TimeSpan Delay(int retry, PlatformClientOptions options, TimeSpan? retryAfter, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        ArgumentNullException.ThrowIfNull(options);
        var cap = options.MaxRetryDelay > TimeSpan.Zero ? options.MaxRetryDelay : TimeSpan.MaxValue;
        if (retryAfter is { } asked)
        {
            return asked < TimeSpan.Zero ? TimeSpan.Zero : asked > cap ? cap : asked;
        }

        var exponential = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        var jittered = exponential * (1 - JitterShare + (2 * JitterShare * Math.Clamp(random, 0, 1)));
        return jittered >= cap.TotalMilliseconds ? cap : TimeSpan.FromMilliseconds(jittered);
    }

    /// <summary>The wait a <c>Retry-After</c> header asks for (seconds or a date), or null when there is none.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Headers.RetryAfter switch
        {
            RetryConditionHeaderValue { Delta: { } delta } => delta,
            RetryConditionHeaderValue { Date: { } date } => date - now,
            _ => null,
        };
    }
}
