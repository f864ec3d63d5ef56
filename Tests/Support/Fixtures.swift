import Foundation

/// Files under `Tests/Fixtures`, found from this source file so tests need no bundle.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// The repository root (for `migrations/`, `README.md`, the built binary).
    public static let repository = root.deletingLastPathComponent().deletingLastPathComponent()

    public static func data(_ path: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(path))
    }

    public static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: data(path)) as! [String: Any]
    }

    /// A captured Stripe event made unique: new id and `created`, with metadata merged into its object.
    public static func capturedEvent(
        _ name: String, id: String, created: Int, objectID: String? = nil,
        metadata: [String: String] = [:], object edits: [String: Any] = [:]
    ) throws -> String {
        var event = try json("events/third-party-captures/stripe-ruby-mock.\(name).2020-08-27.json")
        var data = event["data"] as! [String: Any]
        var object = data["object"] as! [String: Any]
        var merged = (object["metadata"] as? [String: Any]) ?? [:]
        for (k, v) in metadata { merged[k] = v }
        object["metadata"] = merged
        if let objectID { object["id"] = objectID }
        for (k, v) in edits { object[k] = v }
        data["object"] = object
        event["data"] = data
        event["id"] = id
        event["created"] = created
        return try EventFactory.serialize(event)
    }
}
