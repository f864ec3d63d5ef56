import Foundation

/// The envelope fields of a Stripe event, read without building the whole
/// document: what the webhook needs to validate and store a delivery.
///
/// Decoding into this small `Decodable` struct is several times cheaper than
/// materialising every field, and the intake does it for every request.
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
        let raw: Raw
        let bytes = Data(body)
        // The same nesting guard as the full decoder: the intake refuses what the worker could not read.
        do { try JSONValue.checkDepth(bytes) } catch { throw .notAnEvent(error.description) }
        do {
            raw = try JSONDecoder().decode(Raw.self, from: bytes)
        } catch let error as DecodingError {
            throw classify(error)
        } catch {
            throw .notJSON
        }
        guard !raw.id.isEmpty else { throw .notAnEvent("missing id") }
        guard !raw.type.isEmpty else { throw .notAnEvent("missing type") }
        return StripeEnvelope(id: raw.id, type: raw.type, created: raw.created, livemode: raw.livemode ?? false,
                              apiVersion: raw.api_version)
    }

    private static func classify(_ error: DecodingError) -> EventDecodingError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return .notJSON
        case .keyNotFound(let key, let context):
            return .notAnEvent("missing \((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return .notAnEvent(path.isEmpty ? "body is not a JSON object" : "invalid \(path)")
        @unknown default: return .notJSON
        }
    }

    private struct Raw: Decodable {
        var id: String
        var type: String
        var created: Int64
        var livemode: Bool?
        var api_version: String?
        var data: DataField
    }

    private struct DataField: Decodable { var object: ObjectMarker }

    /// Succeeds for any JSON object without decoding its members.
    private struct ObjectMarker: Decodable {
        init(from decoder: any Decoder) throws { _ = try decoder.container(keyedBy: AnyKey.self) }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
