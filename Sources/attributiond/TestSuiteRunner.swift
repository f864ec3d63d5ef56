import AttributionCore
import AttributionStore
import Foundation

/// One line of the `send-test-events` checklist.
struct TestSuiteCheck: Sendable, Equatable {
    var name: String
    var passed: Bool
    /// What was seen, when it is not what was expected.
    var detail: String?

    init(_ name: String, passed: Bool, detail: String? = nil) {
        self.name = name
        self.passed = passed
        self.detail = passed ? nil : detail
    }

    /// `✓ name` or `✗ name: detail`.
    var line: String { (passed ? "✓ " : "✗ ") + name + (detail.map { ": \($0)" } ?? "") }
}

/// Delivers a ``TestEventSequence`` to a running daemon over HTTP and checks
/// the answers and, given the daemon's database, the effects.
///
/// It speaks plain HTTP/1.1 through SwiftNIO (``PlainHTTPClient``), which the
/// daemon links anyway, so the shipped binary needs no other HTTP client
/// (Foundation's URLSession would bring libcurl with it).
struct TestSuiteRunner: Sendable {
    let url: URL
    let secret: String
    let sequence: TestEventSequence
    /// How long to wait for the worker to apply the events before judging them.
    var applyTimeout: Duration = .seconds(5)

    init(url: URL, secret: String, sequence: TestEventSequence) {
        self.url = url
        self.secret = secret
        self.sequence = sequence
    }

    /// Sends every delivery in order; one check per delivery.
    func deliver() async -> [TestSuiteCheck] {
        var checks: [TestSuiteCheck] = []
        for delivery in sequence.deliveries() {
            checks.append(await deliverOne(delivery))
        }
        return checks
    }

    private func deliverOne(_ delivery: TestDelivery) async -> TestSuiteCheck {
        let request = HTTPPost(
            url: url, body: delivery.event.body,
            headers: [
                ("Content-Type", "application/json; charset=utf-8"),
                ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
                ("Stripe-Signature", delivery.signature(secret: secret, timestamp: Int64(Date().timeIntervalSince1970))),
            ])
        let status: Int
        let body: String
        do {
            let response = try await PlainHTTPClient.post(request, timeout: .seconds(10))
            status = response.status
            body = String(decoding: response.body, as: UTF8.self)
        } catch {
            return TestSuiteCheck(
                "\(delivery.name) delivered", passed: false,
                detail: "cannot POST to \(url.absoluteString): \(error)")
        }
        let duplicate = body.contains(#""duplicate":true"#)
        let seen = "HTTP \(status) \(body.prefix(200))"
        switch delivery.expectation {
        case .accepted:
            return TestSuiteCheck("\(delivery.name) accepted", passed: status == 200 && !duplicate, detail: seen)
        case .duplicate:
            return TestSuiteCheck(
                "\(delivery.name) answered 200 as a duplicate", passed: status == 200 && duplicate,
                detail: seen)
        case .rejected:
            return TestSuiteCheck("\(delivery.name) rejected with 400", passed: status == 400, detail: seen)
        }
    }

    /// Waits up to `applyTimeout` for the effects to show in `database`, then returns the checks as last seen.
    func checkEffects(in database: AppDatabase) async -> [TestSuiteCheck] {
        let deadline = ContinuousClock.now + applyTimeout
        while true {
            let checks = effectChecks(database)
            if checks.allSatisfy(\.passed) || ContinuousClock.now >= deadline { return checks }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    func effectChecks(_ database: AppDatabase) -> [TestSuiteCheck] {
        let s = sequence
        func row(_ table: PublicTable, _ key: String) -> [String: String?]? { try? database.publicRow(table, key: key) }
        func describe(_ row: [String: String?]?, _ columns: [String]) -> String {
            guard let row else { return "no row" }
            return columns.map { "\($0)=\((row[$0] ?? nil) ?? "NULL")" }.joined(separator: " ")
        }
        func matches(_ row: [String: String?]?, _ expected: [String: String]) -> Bool {
            guard let row else { return false }
            return expected.allSatisfy { row[$0.key] == .some($0.value) }
        }
        let delivered = s.deliveries()
        let stored = Set(delivered.filter { $0.expectation != .rejected }.map(\.event.id))
        let forged = delivered.filter { $0.expectation == .rejected }.map(\.event.id)
        let notApplied = stored.sorted().filter { row(.inboxEvents, $0)?["status"] != .some("applied") }

        let customer = row(.customers, s.customerId)
        let charge = row(.transactions, s.chargeId)
        let subscription = row(.subscriptions, s.subscriptionId)
        return [
            TestSuiteCheck(
                "every accepted event applied once (\(stored.count) in the inbox)",
                passed: notApplied.isEmpty, detail: "not applied: \(notApplied.joined(separator: ", "))"),
            TestSuiteCheck(
                "badly signed event not stored",
                passed: forged.allSatisfy { row(.inboxEvents, $0) == nil }, detail: "found in the inbox"),
            TestSuiteCheck(
                "customer \(s.customerId) has customer_key and partner \(s.partnerKey)",
                passed: matches(customer, ["customer_key": s.customerKey, "partner_key": s.partnerKey]),
                detail: describe(customer, ["customer_key", "partner_key"])),
            TestSuiteCheck(
                "transaction \(s.chargeId) of \(s.amount) \(s.currency) with product \(s.productKey), \(s.refunded) refunded",
                passed: matches(
                    charge,
                    [
                        "amount": "\(s.amount)", "amount_refunded": "\(s.refunded)",
                        "product_key": s.productKey, "currency": s.currency,
                    ]),
                detail: describe(charge, ["amount", "amount_refunded", "product_key", "currency"])),
            TestSuiteCheck(
                "subscription \(s.subscriptionId) updated to active at \(s.amount) per month",
                passed: matches(subscription, ["status": "active", "amount": "\(s.amount)", "interval": "month"]),
                detail: describe(subscription, ["status", "amount", "interval"])),
            attributed(s.linkChargeId, to: s.linkPartnerKey, through: "a Payment Link's gspk_ reference"),
            attributed(s.promoChargeId, to: s.promoPartnerKey, through: "promotion code \(s.promotionCodeId)"),
        ]
        func attributed(_ charge: String, to partner: String, through way: String) -> TestSuiteCheck {
            let found = try? database.attributedPartner(ofTransaction: charge)
            return TestSuiteCheck(
                "transaction \(charge) attributed to \(partner) through \(way)",
                passed: found == .some(partner), detail: "partner \((found ?? nil) ?? "NULL")")
        }
    }
}
