import Foundation

/// The attribution keys a business puts in Stripe `metadata`.
public struct AttributionKeys: Sendable, Equatable, Codable {
    public var customerKey: String?
    public var partnerKey: String?
    public var productKey: String?

    public init(customerKey: String? = nil, partnerKey: String? = nil, productKey: String? = nil) {
        self.customerKey = customerKey
        self.partnerKey = partnerKey
        self.productKey = productKey
    }

    /// Reads `customer_key` (or PartnerStack's `customer_id`), `partner_key`, `product_key`;
    /// blank values count as absent.
    public init(metadata: JSONValue?) {
        func value(_ key: String) -> String? {
            guard let s = metadata?[key]?.string?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
            return s
        }
        customerKey = value("customer_key") ?? value("customer_id")
        partnerKey = value("partner_key")
        productKey = value("product_key")
    }

    /// Keys from `self`, each falling back to `other` where absent.
    public func filled(from other: AttributionKeys) -> AttributionKeys {
        AttributionKeys(
            customerKey: customerKey ?? other.customerKey,
            partnerKey: partnerKey ?? other.partnerKey,
            productKey: productKey ?? other.productKey
        )
    }
}
