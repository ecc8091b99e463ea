using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Receiving;

public enum ReceiveOutcome
{
    /// <summary>On the queue: answer 200.</summary>
    Accepted,

    /// <summary>A notify type this app does not track: answer 200 so the platform does not count a failure.</summary>
    Ignored,

    /// <summary>The push breaks the contract or is not for this app: a 4xx, nothing enqueued.</summary>
    Rejected,

    /// <summary>The queue could not take it in time: a 503 so that the platform retries.</summary>
    Unavailable,
}

/// <summary>What the receiver decided about one push, with what the HTTP answer needs.</summary>
public sealed record ReceiveResult
{
    public required ReceiveOutcome Outcome { get; init; }

    public required int StatusCode { get; init; }

    /// <summary>A stable, low-cardinality code for logs, metrics and the problem type.</summary>
    public required string Reason { get; init; }

    /// <summary>The error answer's kind, for a rejected or unavailable push.</summary>
    public ProblemType? Problem { get; init; }

    public string? Title => Problem?.Title;

    public string? Detail { get; init; }

    public IReadOnlyList<FieldError> Errors { get; init; } = [];

    public TimeSpan? RetryAfter { get; init; }

    public string? EnvelopeId { get; init; }

    public static ReceiveResult Accepted(string envelopeId) =>
        new() { Outcome = ReceiveOutcome.Accepted, StatusCode = 200, Reason = "accepted", EnvelopeId = envelopeId };

    public static ReceiveResult Ignored() =>
        new() { Outcome = ReceiveOutcome.Ignored, StatusCode = 200, Reason = "not-tracked" };

    public static ReceiveResult Rejected(ProblemType problem, string detail, IReadOnlyList<FieldError>? errors = null) =>
        Failed(ReceiveOutcome.Rejected, problem, detail) with { Errors = errors ?? [] };

    public static ReceiveResult Unavailable(ProblemType problem, string detail, TimeSpan retryAfter) =>
        Failed(ReceiveOutcome.Unavailable, problem, detail) with { RetryAfter = retryAfter };

    private static ReceiveResult Failed(ReceiveOutcome outcome, ProblemType problem, string detail)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new() { Outcome = outcome, StatusCode = problem.Status, Reason = problem.Code, Problem = problem, Detail = detail };
    }
}
