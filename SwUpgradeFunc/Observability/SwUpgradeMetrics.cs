using System.Diagnostics.Metrics;

namespace SwUpgradeFunc.Observability;

/// <summary>
/// The counters an operator charts and alerts on. One meter for the app; tags are bounded sets
/// (outcome, reason code, a notifyType of the contract) so that they stay cheap as metric dimensions.
/// </summary>
public sealed class SwUpgradeMetrics
{
    public const string MeterName = "SwUpgradeFunc";

    // Each instrument beside its name, which dashboards and alerts query.
    public const string PushesReceived = "swupgrade.receiver.pushes";
    private readonly Counter<long> _pushes;

    public const string EnqueueDuration = "swupgrade.receiver.enqueue.duration";
    private readonly Histogram<double> _enqueueDuration;

    public const string NotificationsProcessed = "swupgrade.processor.notifications";
    private readonly Counter<long> _processed;

    public const string SubTasksSettled = "swupgrade.processor.settled";
    private readonly Counter<long> _settled;

    public const string SubTasksReconciled = "swupgrade.reconciler.repairs";
    private readonly Counter<long> _reconciled;

    public const string TasksRemovedByRetention = "swupgrade.retention.tasks";
    private readonly Counter<long> _retained;

    public const string ClientCertificatesRefused = "swupgrade.receiver.client_certificate.refused";
    private readonly Counter<long> _certificatesRefused;

    public SwUpgradeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _pushes = meter.CreateCounter<long>(PushesReceived, "{push}", "Pushes received by the callback, by outcome and reason.");
        _enqueueDuration = meter.CreateHistogram<double>(EnqueueDuration, "ms", "Time to store an accepted push on the queue.");
        _processed = meter.CreateCounter<long>(NotificationsProcessed, "{notification}", "Queued notifications processed, by outcome.");
        _settled = meter.CreateCounter<long>(SubTasksSettled, "{subtask}", "Sub-tasks settled (their first result), by result.");
        _reconciled = meter.CreateCounter<long>(SubTasksReconciled, "{subtask}",
            "Sub-tasks the reconciliation timer queued for repair, by difference (unknown-here, not-settled-here, settled-differently).");
        _retained = meter.CreateCounter<long>(TasksRemovedByRetention, "{task}", "Tasks deleted by the retention timer, their last activity older than Upgrades__RetentionDays.");
        _certificatesRefused = meter.CreateCounter<long>(ClientCertificatesRefused, "{push}",
            "Pushes refused by the callback's client certificate check, by reason.");
    }

    public void PushReceived(string outcome, string reason, string notifyTypeLabel) =>
        _pushes.Add(1,
            new KeyValuePair<string, object?>("outcome", outcome),
            new KeyValuePair<string, object?>("reason", reason),
            new KeyValuePair<string, object?>("notify_type", notifyTypeLabel));

    public void Enqueued(TimeSpan elapsed) => _enqueueDuration.Record(elapsed.TotalMilliseconds);

    public void NotificationProcessed(string outcome, string notifyTypeLabel) =>
        _processed.Add(1,
            new KeyValuePair<string, object?>("outcome", outcome),
            new KeyValuePair<string, object?>("notify_type", notifyTypeLabel));

    /// <summary>result: SUCCESS or FAIL (the only results that settle).</summary>
    public void SubTaskSettled(string result) =>
        _settled.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Reconciled(string difference, int count) =>
        _reconciled.Add(count, new KeyValuePair<string, object?>("difference", difference));

    public void TaskRemovedByRetention() => _retained.Add(1);

    /// <summary>reason: the problem code (client-certificate-missing, -untrusted, -expired, ...).</summary>
    public void ClientCertificateRefused(string reason) =>
        _certificatesRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
