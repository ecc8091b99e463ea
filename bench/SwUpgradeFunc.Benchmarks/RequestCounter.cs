using Azure.Core;
using Azure.Core.Pipeline;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>Counts the storage requests a path makes (every try, retries included) and the 409/412 conflicts among them.</summary>
internal sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private long _requests;
    private long _conflicts;

    public long Requests => Interlocked.Read(ref _requests);

    public long Conflicts => Interlocked.Read(ref _conflicts);

    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _conflicts, 0);
    }

    public override void OnReceivedResponse(HttpMessage message)
    {
        Interlocked.Increment(ref _requests);
        if (message.Response.Status is 409 or 412)
        {
            Interlocked.Increment(ref _conflicts);
        }
    }
}
