import AttributionCore

/// An event about to be stored in the inbox.
public struct NewInboxEvent: Sendable {
    public var eventId: String
    public var type: String
    public var livemode: Bool
    public var apiVersion: String?
    public var stripeCreated: Int64
    public var payload: String
    public var origin: InboxOrigin

    /// Without an `origin`, the daemon's own event types (`attributiond.*`: signups,
    /// partner profiles, settings) are `admin` and everything else a `webhook`,
    /// as the migration that added the column classified the events before it.
    public init(
        eventId: String, type: String, livemode: Bool, apiVersion: String?, stripeCreated: Int64, payload: String,
        origin: InboxOrigin? = nil
    ) {
        self.eventId = eventId
        self.type = type
        self.livemode = livemode
        self.apiVersion = apiVersion
        self.stripeCreated = stripeCreated
        self.payload = payload
        self.origin = origin ?? (LocalEvent.isDaemonType(type) ? .admin : .webhook)
    }

    public init(envelope e: StripeEnvelope, payload: String, origin: InboxOrigin? = nil) {
        self.init(
            eventId: e.id, type: e.type, livemode: e.livemode, apiVersion: e.apiVersion, stripeCreated: e.created,
            payload: payload, origin: origin)
    }

    public init(event: StripeEvent, payload: String, origin: InboxOrigin? = nil) {
        self.init(
            eventId: event.id, type: event.type, livemode: event.livemode,
            apiVersion: event.apiVersion, stripeCreated: event.created, payload: payload, origin: origin)
    }
}

/// The `origin` column of `inbox_events`: how an event reached the inbox.
public enum InboxOrigin: String, Sendable, CaseIterable, Codable {
    /// Delivered by Stripe to `POST /webhooks/stripe`.
    case webhook
    /// Read from a file by `attributiond import`.
    case `import`
    /// Read from Stripe's list API by `attributiond backfill`.
    case backfill
    /// Recorded by the daemon itself: a signup, a partner profile, settings.
    case admin
}

/// What storing one event did.
public enum InsertOutcome: Sendable, Equatable {
    case stored
    case duplicate
}

/// The `status` column of `inbox_events`.
public enum InboxStatus: String, Sendable, CaseIterable, Codable {
    case pending, applied, ignored, failed, dead
}

/// One inbox row as the admin commands show it.
public struct InboxRow: Sendable, Equatable, Codable {
    public var eventId: String
    public var type: String
    public var livemode: Bool
    public var apiVersion: String?
    public var stripeCreatedAt: String
    public var receivedAt: String
    public var status: InboxStatus
    public var origin: InboxOrigin
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: String?
    public var appliedAt: String?
    public var payload: String?
}
