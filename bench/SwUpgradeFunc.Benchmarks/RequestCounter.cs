using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// Counts the storage requests a path makes (every try, retries included) and the conflicts among them: a 409/412
/// answer, or a table transaction ($batch, answered 202) whose inner answer is a 409/412.
/// </summary>
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
        if (message.Response.Status is 409 or 412 || (IsBatch(message) && HasInnerConflict(message.Response)))
        {
            Interlocked.Increment(ref _conflicts);
        }
    }

    private static bool IsBatch(HttpMessage message) =>
        message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal);

    private static bool HasInnerConflict(Response response)
    {
        // The pipeline has buffered the body by now; a multipart answer holds one status line per operation.
        var text = response.Content.ToString();
        return text.Contains("HTTP/1.1 409", StringComparison.Ordinal) || text.Contains("HTTP/1.1 412", StringComparison.Ordinal);
    }
}
