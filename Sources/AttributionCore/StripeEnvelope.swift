import Foundation

/// The envelope fields of a Stripe event: what the webhook needs to validate
/// and store a delivery.
///
/// Read with the worker's own decoder (`StripeEvent.decode`), so the intake
/// accepts exactly the bodies the worker can apply; `data.object` is checked
/// but not built. It used to be a
/// `JSONDecoder` of these fields alone, which never looked inside
/// `data.object`: raw control characters, invalid UTF-8 or an out-of-range
/// number there were answered 200, stored, and then failed in the worker
/// until the event was dead, with Stripe no longer retrying.
public struct StripeEnvelope: Sendable, Equatable {
    public var id: String
    public var type: String
    public var created: Int64
    public var livemode: Bool
    public var apiVersion: String?

    public init(id: String, type: String, created: Int64, livemode: Bool, apiVersion: String?) {
        self.id = id
        self.type = type
        self.created = created
        self.livemode = livemode
        self.apiVersion = apiVersion
    }

    /// Refuses anything that is not a snapshot event (no `id`, `type`, `created`, or object `data.object`).
    public static func decode(_ body: some DataProtocol) throws(EventDecodingError) -> StripeEnvelope {
        // Every byte of data.object is checked as the worker will read it; only its values are not built.
        let event = try StripeEvent.decode(body, buildingDepth: 2)
        return StripeEnvelope(
            id: event.id, type: event.type, created: event.created, livemode: event.livemode,
            apiVersion: event.apiVersion)
    }
}
