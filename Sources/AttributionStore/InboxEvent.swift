import AttributionCore

/// An event about to be stored in the inbox.
public struct NewInboxEvent: Sendable {
    public var eventId: String
    public var type: String
    public var livemode: Bool
    public var apiVersion: String?
    public var stripeCreated: Int64
    public var payload: String

    public init(eventId: String, type: String, livemode: Bool, apiVersion: String?, stripeCreated: Int64, payload: String) {
        self.eventId = eventId
        self.type = type
        self.livemode = livemode
        self.apiVersion = apiVersion
        self.stripeCreated = stripeCreated
        self.payload = payload
    }

    public init(envelope e: StripeEnvelope, payload: String) {
        self.init(eventId: e.id, type: e.type, livemode: e.livemode, apiVersion: e.apiVersion, stripeCreated: e.created,
                  payload: payload)
    }

    public init(event: StripeEvent, payload: String) {
        self.init(eventId: event.id, type: event.type, livemode: event.livemode,
                  apiVersion: event.apiVersion, stripeCreated: event.created, payload: payload)
    }
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
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: String?
    public var appliedAt: String?
    public var payload: String?
}
