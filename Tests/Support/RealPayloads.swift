import Foundation

/// The payloads in `Tests/Fixtures/real-payloads/`, which other projects
/// committed as test fixtures, as webhook bodies the daemon can be sent.
///
/// Complete events are sent as committed, with one change: every event gets an
/// id of its own (`evt_rp_<file>_<index>`), since the projects reuse ids across
/// files and the inbox keeps one event per id. A bare object or an event's
/// `data` part is wrapped in a plain envelope: the item's `type` and
/// `api_version` (JSON null when unknown), the object's `livemode`, and the
/// object's `created` as the event's time.
public enum RealPayloads {
    public static let files = ["dj-stripe", "jsbin", "pay", "sc-billing", "solidus_stripe", "stripe-sync-engine"]

    public struct Event: Sendable {
        /// `<file>#<index>`, for messages.
        public var name: String
        public var id: String
        public var type: String
        /// nil when the payload carries none (or null).
        public var apiVersion: String?
        public var body: String
    }

    public static func events() throws -> [Event] {
        var out: [Event] = []
        for file in files {
            let corpus = try Fixtures.json("real-payloads/\(file).json")
            for (index, item) in (corpus["items"] as! [[String: Any]]).enumerated() {
                out.append(try event(item, file: file, index: index))
            }
        }
        return out
    }

    /// One item of a file, by index.
    public static func event(_ file: String, _ index: Int) throws -> Event {
        let items = try Fixtures.json("real-payloads/\(file).json")["items"] as! [[String: Any]]
        return try event(items[index], file: file, index: index)
    }

    /// The item's Stripe object, as a dictionary.
    public static func object(_ file: String, _ index: Int) throws -> [String: Any] {
        let body = try event(file, index).body
        let event = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        return (event["data"] as! [String: Any])["object"] as! [String: Any]
    }

    static func event(_ item: [String: Any], file: String, index: Int) throws -> Event {
        let id = "evt_rp_\(file.replacingOccurrences(of: "-", with: "_"))_\(index)"
        var event: [String: Any]
        switch item["held_as"] as! String {
        case "event":
            event = item["payload"] as! [String: Any]
        case let heldAs:
            let payload = item["payload"] as! [String: Any]
            let object = heldAs == "data" ? payload["object"] as! [String: Any] : payload
            event = [
                "object": "event", "type": item["type"] as! String, "api_version": item["api_version"] ?? NSNull(),
                "created": object["created"] as? Int ?? 1_600_000_000,
                "livemode": object["livemode"] as? Bool ?? false, "pending_webhooks": 1,
                "data": ["object": object],
            ]
        }
        event["id"] = id
        return Event(
            name: "\(file)#\(index)", id: id, type: event["type"] as! String,
            apiVersion: event["api_version"] as? String, body: try EventFactory.serialize(event))
    }
}
