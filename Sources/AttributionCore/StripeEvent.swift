import Foundation

/// A Stripe event as delivered to the webhook: the envelope fields the inbox
/// keeps, plus the snapshot in `data.object`.
public struct StripeEvent: Sendable, Equatable {
    public var id: String
    public var type: String
    public var created: Int64
    public var livemode: Bool
    public var apiVersion: String?
    public var object: JSONValue

    public init(id: String, type: String, created: Int64, livemode: Bool, apiVersion: String?, object: JSONValue) {
        self.id = id
        self.type = type
        self.created = created
        self.livemode = livemode
        self.apiVersion = apiVersion
        self.object = object
    }

    /// Parses a raw body; refuses anything that is not a snapshot event
    /// (no `id`, `type`, `created` or object `data.object`).
    public static func decode(_ body: some DataProtocol) throws(EventDecodingError) -> StripeEvent {
        try decode(body, buildingDepth: .max)
    }

    /// With a `buildingDepth` of 2, `data.object` is checked in full but comes
    /// back as an empty object: the envelope alone, at a fraction of the cost.
    static func decode(_ body: some DataProtocol, buildingDepth: Int) throws(EventDecodingError) -> StripeEvent {
        let json: JSONValue
        do { json = try JSONValue.parse(body, buildingDepth: buildingDepth) } catch let error as JSONDepthError {
            throw .notAnEvent(error.description)
        } catch { throw .notJSON }
        guard json.isObject else { throw .notAnEvent("body is not a JSON object") }
        guard let id = json["id"]?.string, !id.isEmpty else { throw .notAnEvent("missing id") }
        guard let type = json["type"]?.string, !type.isEmpty else { throw .notAnEvent("missing type") }
        guard let created = json["created"]?.int else { throw .notAnEvent("missing created") }
        guard let object = json["data"]?["object"], object.isObject else {
            throw .notAnEvent("missing data.object")
        }
        return StripeEvent(
            id: id, type: type, created: created,
            livemode: json["livemode"]?.bool ?? false,
            apiVersion: json["api_version"]?.string,
            object: object
        )
    }

    /// Where this snapshot stands among snapshots of the same object.
    public var version: EventVersion { EventVersion(created: created, rank: EventVersion.rank(of: type), eventId: id) }
}

/// Why a signed body is not accepted as an event.
public enum EventDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case notJSON
    case notAnEvent(String)

    public var description: String {
        switch self {
        case .notJSON: "body is not valid JSON"
        case .notAnEvent(let why): "not a Stripe event: \(why)"
        }
    }
}

/// The total order of snapshots of one object (docs/events.md): by the event's
/// `created`, then by a fixed rank of the event type, then by event id.
public struct EventVersion: Sendable, Comparable, Hashable, Codable {
    public var created: Int64
    public var rank: Int
    public var eventId: String

    public init(created: Int64, rank: Int, eventId: String) {
        self.created = created
        self.rank = rank
        self.eventId = eventId
    }

    public static func < (a: EventVersion, b: EventVersion) -> Bool {
        (a.created, a.rank, a.eventId) < (b.created, b.rank, b.eventId)
    }

    /// `*.created` < updates and successes < refunds < deletions, failures and closings
    /// (`charge.dispute.funds_withdrawn` and `funds_reinstated` rank as updates).
    public static func rank(of type: String) -> Int {
        if type.hasSuffix(".created") { return 0 }
        if type.hasSuffix(".refunded") { return 2 }
        if type.hasSuffix(".deleted") || type.hasSuffix(".closed") || type == "charge.failed" || type == "charge.expired" { return 3 }
        return 1
    }
}
