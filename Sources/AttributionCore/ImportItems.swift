import Crypto
import Foundation

/// Stripe objects brought in by `import` or `backfill` (docs/import.md), stored as
/// snapshot events of type `attributiond.import`.
///
/// A list export carries objects, not events, and the events that created
/// them are long gone. Each object becomes one event in the inbox, dated by
/// the import (a snapshot is as new as the export), with the effect of the
/// event Stripe would send for that state, so it merges with webhooks under
/// the same order rules (§2).
public enum ImportSnapshot {
    public static let type = "attributiond.import"

    /// The object types an import understands (`object` of the item).
    public static let objectTypes: Set<String> = [
        "customer", "charge", "subscription", "invoice", "checkout.session", "promotion_code", "dispute",
    ]

    /// The event type whose effect an object's snapshot has; nil for a type it does not know.
    ///
    /// Mostly `*.updated`. A complete checkout session and a paid invoice are
    /// what the completion and payment events carry; a canceled subscription
    /// is a deletion, since Stripe lists canceled subscriptions whose deletion
    /// event is long gone.
    public static func effectType(of object: JSONValue) -> String? {
        let status = object["status"]?.string
        switch object["object"]?.string {
        case "customer": return "customer.updated"
        case "charge": return "charge.updated"
        case "subscription":
            return status == "canceled" ? "customer.subscription.deleted" : "customer.subscription.updated"
        case "invoice": return status == "paid" ? "invoice.paid" : "invoice.updated"
        case "checkout.session": return status == "complete" ? "checkout.session.completed" : "checkout.session.updated"
        case "promotion_code": return "promotion_code.updated"
        case "dispute": return "charge.dispute.updated"
        default: return nil
        }
    }

    /// The event id of an object's snapshot: its id and a hash of its content,
    /// so importing the same object twice is a duplicate however the file was
    /// formatted (key order, whitespace, escapes), and a changed object is a new snapshot.
    public static func eventId(objectId: String, object: JSONValue) -> String {
        var hasher = SHA256()
        object.feedCanonical(into: &hasher)
        let digest = hasher.finalize().prefix(12).map { String(format: "%02x", $0) }.joined()
        return "imp_\(objectId)_\(digest)"
    }

    /// The raw event stored in the inbox: the object byte for byte in Stripe's event envelope.
    public static func envelope(id: String, created: Int64, livemode: Bool, objectJSON: String) -> String {
        let idJSON = String(decoding: (try? JSONEncoder().encode(id)) ?? Data(#""""#.utf8), as: UTF8.self)
        return
            #"{"id":\#(idJSON),"object":"event","type":"\#(type)","created":\#(created),"livemode":\#(livemode),"data":{"object":\#(objectJSON)}}"#
    }
}

/// One item of an import file or a backfill page, ready for the inbox.
public struct ImportedItem: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A Stripe event, stored as if delivered.
        case event
        /// A Stripe object, stored as an `attributiond.import` snapshot.
        case snapshot
    }

    public var kind: Kind
    /// The event's type, or the object's (`customer`, `charge` …): what the summary counts by.
    public var label: String
    public var event: StripeEnvelope
    public var payload: String

    /// Reads one item; `asOf` dates an object's snapshot.
    public static func read(_ bytes: [UInt8], asOf: Int64) throws(ImportItemError) -> ImportedItem {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .invalid("broken JSON: \(error)") }
        guard json.isObject else { throw .invalid("not a JSON object") }
        let objectType = json["object"]?.string
        if objectType == "event" { return try event(json, bytes: bytes) }
        if objectType == "list" {
            throw .invalid(
                json["data"]?.array == nil
                    ? "a list page whose data is not an array"
                    : "a list page inside an array (give list pages at the top level of a file)")
        }
        guard let objectType, ImportSnapshot.objectTypes.contains(objectType) else {
            throw .invalid("neither an Event nor a known Stripe object (object: \(objectType.map { "'\($0)'" } ?? "missing"))")
        }
        guard let id = json["id"]?.string, !id.isEmpty else { throw .invalid("a \(objectType) without an id") }
        return try snapshot(json, objectType: objectType, id: id, bytes: bytes, asOf: asOf)
    }

    private static func event(_ json: JSONValue, bytes: [UInt8]) throws(ImportItemError) -> ImportedItem {
        // The checks the webhook makes of a delivery (StripeEnvelope), on the value already parsed.
        guard let id = json["id"]?.string, !id.isEmpty else { throw .invalid("an event without an id") }
        guard let type = json["type"]?.string, !type.isEmpty else { throw .invalid("event \(id) without a type") }
        guard let created = json["created"]?.int else { throw .invalid("event \(id) without created") }
        guard json["data"]?["object"]?.isObject == true else { throw .invalid("event \(id) without data.object") }
        let envelope = StripeEnvelope(
            id: id, type: type, created: created, livemode: json["livemode"]?.bool ?? false,
            apiVersion: json["api_version"]?.string)
        return ImportedItem(kind: .event, label: type, event: envelope, payload: String(decoding: bytes, as: UTF8.self))
    }

    private static func snapshot(
        _ json: JSONValue, objectType: String, id: String, bytes: [UInt8],
        asOf: Int64
    ) throws(ImportItemError) -> ImportedItem {
        let eventId = ImportSnapshot.eventId(objectId: id, object: json)
        let livemode = json["livemode"]?.bool ?? false
        let event = StripeEvent(
            id: eventId, type: ImportSnapshot.type, created: asOf, livemode: livemode,
            apiVersion: nil, object: json)
        // An object the worker could not read would only be found dead after the import: refuse it now.
        do { _ = try EventSnapshot(event: event) } catch { throw .invalid("\(objectType) \(id): \(error)") }
        let payload = ImportSnapshot.envelope(
            id: eventId, created: asOf, livemode: livemode,
            objectJSON: String(decoding: bytes, as: UTF8.self))
        let envelope = StripeEnvelope(id: eventId, type: ImportSnapshot.type, created: asOf, livemode: livemode, apiVersion: nil)
        return ImportedItem(kind: .snapshot, label: objectType, event: envelope, payload: payload)
    }
}

/// Why an import item cannot be stored.
public enum ImportItemError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let why): why
        }
    }
}

extension JSONValue {
    /// Feeds a serialization that depends only on the value (object keys sorted), for content hashes.
    func feedCanonical(into hasher: inout SHA256) {
        func feed(_ tag: String, _ text: String) {
            hasher.update(data: Array("\(tag)\(text.utf8.count):".utf8))
            hasher.update(data: Array(text.utf8))
        }
        switch self {
        case .null: feed("n", "")
        case .bool(let b): feed("b", b ? "1" : "0")
        case .number(let d, let i): if let i { feed("i", String(i)) } else { feed("d", String(d.bitPattern)) }
        case .string(let s): feed("s", s)
        case .array(let a):
            feed("a", String(a.count))
            for v in a { v.feedCanonical(into: &hasher) }
        case .object(let o):
            feed("o", String(o.count))
            for key in o.keys.sorted() {
                feed("k", key)
                o[key]!.feedCanonical(into: &hasher)
            }
        }
    }
}
