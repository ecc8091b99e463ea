using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Functions;

/// <summary>The platform's callback: POST /v1.0.0/messageReceiver (anonymous: the platform signs nothing and sends no key).</summary>
public sealed class MessageReceiverFunction(NotificationReceiver receiver)
{
    public const string Route = "v1.0.0/messageReceiver";

    [Function("MessageReceiver")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var result = await receiver.ReceiveAsync(request.Headers[ClientCertificateCheck.HeaderName],
            request.ContentType, request.ContentLength, request.Body, cancellationToken).ConfigureAwait(false);
        return ToAnswer(result);
    }

    internal static HttpAnswer ToAnswer(ReceiveResult result) => result.Outcome switch
    {
        ReceiveOutcome.Accepted or ReceiveOutcome.Ignored => HttpAnswer.Empty(StatusCodes.Status200OK),
        _ => HttpAnswer.Problem(result.Problem!, result.Detail!, result.Errors, result.RetryAfter),
    };
}
