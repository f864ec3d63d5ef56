/// The table and CSV outputs of `balances` and `payouts show|export` (docs/ledger.md).
public enum LedgerRender {
    public static func balancesTable(_ rows: [Balance], mode: String) -> String {
        guard !rows.isEmpty else { return "No commissions yet (\(mode) mode).\n" }
        var table = [["PARTNER", "NAME", "CURRENCY", "EARNED", "PENDING", "HELD", "PAID", "DUE"]]
        for b in rows {
            table.append(
                [b.partnerKey, b.name ?? "-", b.currency.uppercased()]
                    + [b.earned, b.pending, b.held, b.paid, b.due].map { Money.format($0, currency: b.currency) })
        }
        return "Partner balances, \(mode) mode\n\n" + TextTable.render(table, rightAligned: [3, 4, 5, 6, 7])
    }

    public static func balancesCSV(_ rows: [Balance]) -> String {
        var lines = ["partner_key,name,livemode,currency,earned,pending,held,paid,due"]
        for b in rows {
            lines.append(
                ([b.partnerKey, b.name ?? "", b.livemode ? "1" : "0", b.currency]
                    + [b.earned, b.pending, b.held, b.paid, b.due].map(String.init)).map(Report.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func payoutTable(_ p: PayoutDetail) -> String {
        var out = "Payout \(p.payoutId): \(p.status)"
        if let paidAt = p.paidAt { out += " at \(paidAt)" }
        if let reference = p.reference { out += " (reference \(reference))" }
        out += "\ncreated \(p.createdAt), as of \(p.asOf), hold \(p.holdDays) days\n\n"
        var table = [["PARTNER", "NAME", "EMAIL", "ITEMS", "AMOUNT"]]
        for l in p.lines {
            table.append([l.partnerKey, l.name ?? "-", l.email ?? "-", String(l.items), Money.format(l.amount, currency: l.currency)])
        }
        out += TextTable.render(table, rightAligned: [3, 4])
        out += "\nTotal: " + p.totals.map { Money.format($0.amount, currency: $0.currency) }.joined(separator: ", ") + "\n"
        return out
    }

    /// One row per item: which transaction each line pays (or claws back).
    public static func payoutCSV(_ p: PayoutDetail) -> String {
        var lines = ["payout_id,partner_key,transaction_id,occurred_at,currency,amount"]
        for i in p.items {
            lines.append(
                [p.payoutId, i.partnerKey, i.transactionId, i.occurredAt, i.currency, String(i.amount)]
                    .map(Report.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The mass-payment upload: one row per line, amounts in major units.
    public static func exportCSV(_ p: PayoutDetail) -> String {
        var lines = ["payout_id,partner_key,name,email,currency,amount"]
        for l in p.lines {
            lines.append(
                [
                    p.payoutId, l.partnerKey, l.name ?? "", l.email ?? "", l.currency,
                    Money.decimalText(l.amount, currency: l.currency),
                ].map(Report.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rows of PayPal Payouts' bulk file for one currency: no header,
    /// `recipient,amount,currency,id,note`. Lines without an email are left
    /// out and returned, for the warning.
    public static func paypal(_ p: PayoutDetail, currency: String) -> (text: String, rows: Int, withoutEmail: [String]) {
        var rows: [String] = []
        var missing: [String] = []
        for l in p.lines where l.currency == currency.lowercased() {
            guard let email = l.email, !email.isEmpty else {
                missing.append(l.partnerKey)
                continue
            }
            rows.append(
                [
                    email, Money.decimalText(l.amount, currency: l.currency), l.currency.uppercased(),
                    "\(p.payoutId)-\(l.partnerKey)", "Commission \(p.payoutId)",
                ].map(Report.csvField).joined(separator: ","))
        }
        return (rows.map { $0 + "\n" }.joined(), rows.count, missing)
    }

    /// The export's rows as JSON, amounts as in the CSV (major units, decimal strings).
    public static func exportJSON(_ p: PayoutDetail) throws -> String {
        try StableJSON.text(p.lines.map { ExportLine(payoutId: p.payoutId, line: $0) })
    }

    struct ExportLine: Encodable {
        var payoutId: String, partnerKey: String, name: String?, email: String?, currency: String, amount: String
        enum CodingKeys: String, CodingKey {
            case payoutId = "payout_id", partnerKey = "partner_key", name, email, currency, amount
        }
        init(payoutId: String, line: PayoutDetail.Line) {
            self.payoutId = payoutId
            partnerKey = line.partnerKey
            name = line.name
            email = line.email
            currency = line.currency
            amount = Money.decimalText(line.amount, currency: line.currency)
        }
    }
}
