using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using SwUpgradeFunc.Functions;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>Times a function's code the way the host runs it: the call and the writing of its answer to a discarded body.</summary>
internal static class FunctionAnswers
{
    /// <summary>The clock covers <paramref name="call"/> (so whatever it does before calling the function) and the write.</summary>
    public static async Task<(double Ms, int Status, long Length)> TimeAsync(Func<HttpRequest, Task<IActionResult>> call)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        var clock = Stopwatch.StartNew();
        var answer = (HttpAnswer)await call(context.Request).ConfigureAwait(false);
        await answer.WriteAsync(context.Response).ConfigureAwait(false);
        clock.Stop();
        return (clock.Elapsed.TotalMilliseconds, answer.StatusCode, context.Response.Body.Length);
    }
}
