import Metrics

/// Metric names and labels, as constants so dashboards can rely on them.
enum MetricName {
    static let webhooks = "attributiond_webhooks_total"
    static let events = "attributiond_events_total"
    static let attributionConflicts = "attributiond_attribution_conflicts_total"
    /// Events naming an object not seen yet (label `kind`), kept until it arrives.
    static let unresolvedReferences = "attributiond_unresolved_references_total"
    /// Customers flagged `self_referral` (their email is their partner's); their commissions are held.
    static let selfReferrals = "attributiond_self_referrals_total"
    static let inboxPending = "attributiond_inbox_pending"
    static let oldestPendingAge = "attributiond_inbox_oldest_pending_age_seconds"
    static let applyLatency = "attributiond_apply_batch_seconds"
    static let httpDuration = "attributiond_http_request_duration_seconds"
}

/// Outcomes of a webhook delivery, the `outcome` label of `attributiond_webhooks_total`.
enum WebhookOutcome: String {
    case accepted, duplicate, badSignature = "bad_signature", notAnEvent = "not_an_event"
    case tooLarge = "too_large", unavailable

    func count() { Counter(label: MetricName.webhooks, dimensions: [("outcome", rawValue)]).increment() }
}

/// Log metadata keys, as constants.
enum LogKey {
    static let eventId = "event_id"
    static let eventType = "event_type"
    static let outcome = "outcome"
    static let error = "error"
    static let count = "count"
    static let interval = "interval"
}
