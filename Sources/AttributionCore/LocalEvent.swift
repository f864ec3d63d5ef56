import Foundation

/// Events that attributiond writes into its own inbox: signups and partner
/// profiles given through the API or CLI. Keeping them in the inbox, beside
/// Stripe's events, lets `events rebuild` re-derive every table from the inbox alone.
public enum LocalEvent {
    /// Every type the daemon writes itself starts so; Stripe never sends one.
    public static func isDaemonType(_ type: String) -> Bool { type.hasPrefix("attributiond.") }

    public static let signupType = "attributiond.signup"
    public static let partnerType = "attributiond.partner"
    public static let settingsType = "attributiond.settings"

    /// A customer's signup with the partner who referred them.
    public struct Signup: Sendable, Equatable, Codable {
        public var customerKey: String
        public var partnerKey: String
        public var email: String?
        public var name: String?

        enum CodingKeys: String, CodingKey {
            case customerKey = "customer_key", partnerKey = "partner_key", email, name
        }

        public init(customerKey: String, partnerKey: String, email: String? = nil, name: String? = nil) {
            self.customerKey = customerKey
            self.partnerKey = partnerKey
            self.email = email
            self.name = name
        }

        public init(event: StripeEvent) throws(SnapshotError) {
            guard let key = event.object["customer_key"]?.string else { throw .missingField("signup customer_key") }
            guard let partner = event.object["partner_key"]?.string else { throw .missingField("signup partner_key") }
            self.init(
                customerKey: key, partnerKey: partner,
                email: event.object["email"]?.string, name: event.object["name"]?.string)
        }

        /// One signup per customer key: a repeated signup is a duplicate event.
        public var eventId: String { "signup_\(customerKey)" }
    }

    /// A partner's name and email, as an administrator gave them.
    public struct PartnerProfile: Sendable, Equatable, Codable {
        public var partnerKey: String
        public var name: String?
        public var email: String?
        /// Promotion code texts mapped to this partner by this event (exact, case-sensitive);
        /// codes mapped by earlier events stay mapped unless a later event maps them elsewhere.
        public var promotionCodes: [String]

        enum CodingKeys: String, CodingKey {
            case partnerKey = "partner_key", name, email, promotionCodes = "promotion_codes"
        }

        public init(partnerKey: String, name: String? = nil, email: String? = nil, promotionCodes: [String] = []) {
            self.partnerKey = partnerKey
            self.name = name
            self.email = email
            self.promotionCodes = promotionCodes
        }

        public init(event: StripeEvent) throws(SnapshotError) {
            guard let key = event.object["partner_key"]?.string else { throw .missingField("partner_key") }
            let codes = (event.object["promotion_codes"]?.array ?? []).compactMap(\.string)
            self.init(
                partnerKey: key, name: event.object["name"]?.string, email: event.object["email"]?.string,
                promotionCodes: codes)
        }
    }

    /// The derivation settings from this event's date on: where transactions
    /// come from and what a partial refund does. They change what every derived
    /// table means, so they live in the inbox with the data, and the latest by
    /// (created, event id) holds.
    public struct Settings: Sendable, Equatable, Codable {
        public static let transactionSources = ["charge", "invoice"]
        public static let partialRefundModes = ["prorate", "delete"]

        public var transactionSource: String
        public var partialRefunds: String

        enum CodingKeys: String, CodingKey { case transactionSource = "transaction_source", partialRefunds = "partial_refunds" }

        public init(transactionSource: String, partialRefunds: String) {
            self.transactionSource = transactionSource
            self.partialRefunds = partialRefunds
        }

        public init(event: StripeEvent) throws(SnapshotError) {
            guard let source = event.object["transaction_source"]?.string, Self.transactionSources.contains(source)
            else { throw .missingField("settings transaction_source (charge or invoice)") }
            guard let refunds = event.object["partial_refunds"]?.string, Self.partialRefundModes.contains(refunds)
            else { throw .missingField("settings partial_refunds (prorate or delete)") }
            self.init(transactionSource: source, partialRefunds: refunds)
        }
    }

    /// The raw JSON of a local event in the same envelope as Stripe's.
    public static func envelope(id: String, type: String, created: Int64, object: some Encodable) throws -> String {
        let objectJSON = String(decoding: try JSONEncoder().encode(object), as: UTF8.self)
        let idJSON = String(decoding: try JSONEncoder().encode(id), as: UTF8.self)
        return
            #"{"id":\#(idJSON),"object":"event","type":"\#(type)","created":\#(created),"livemode":true,"data":{"object":\#(objectJSON)}}"#
    }
}

// MARK: The commission ledger (docs/ledger.md)

extension LocalEvent {
    public static let rewardRuleType = "attributiond.reward_rule"
    public static let rewardHoldType = "attributiond.reward_hold"
    public static let approvalType = "attributiond.approval"
    public static let payoutType = "attributiond.payout"
    public static let payoutMarkType = "attributiond.payout_mark"
}
