import Foundation

/// The three outputs of `attributiond report`.
extension Report {
    /// The JSON of docs/cli.md, keys sorted so that the output is stable byte for byte.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A header row, then one row per partner and currency; a partner without
    /// transactions has one row with an empty currency. Amounts are integer minor
    /// units, as in the JSON, so spreadsheets can sum them without parsing. The
    /// unattributed row has `unattributed` as its partner key and an empty name.
    public func csvText() -> String {
        var lines = ["partner_key,name,customers,active_subscriptions,currency,transactions,gross,refunded,net,commission"]
        for entry in entries {
            let head = [
                entry.partnerKey ?? "unattributed", entry.name ?? "",
                String(entry.customers), String(entry.activeSubscriptions),
            ].map(Self.csvField)
            let rows = entry.totals.isEmpty ? [nil] : entry.totals.map { Optional($0) }
            for t in rows {
                let money =
                    t.map {
                        [
                            $0.currency, String($0.transactions), String($0.gross), String($0.refunded),
                            String($0.net), String($0.commission),
                        ]
                    } ?? ["", "0", "0", "0", "0", "0"]
                lines.append((head + money.map(Self.csvField)).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A table for a terminal: one line per partner and currency, amounts
    /// formatted for their currency (`1,234.50 USD`, `1,500 JPY`).
    public func tableText() -> String {
        var rows: [[String]] = [["PARTNER", "NAME", "CUSTOMERS", "ACTIVE SUBS", "TXNS", "GROSS", "REFUNDED", "NET", "COMMISSION"]]
        for entry in entries {
            let head = [
                entry.partnerKey ?? "unattributed", entry.partnerKey == nil ? "" : entry.name ?? "-",
                String(entry.customers), String(entry.activeSubscriptions),
            ]
            if entry.totals.isEmpty { rows.append(head + ["0", "-", "-", "-", "-"]) }
            for (i, t) in entry.totals.enumerated() {
                let money = [t.gross, t.refunded, t.net, t.commission].map { Money.format($0, currency: t.currency) }
                rows.append((i == 0 ? head : ["", "", "", ""]) + [String(t.transactions)] + money)
            }
        }
        var out = "Partner report, \(mode.rawValue) mode, \(periodText)\n\n"
        out += TextTable.render(rows, rightAligned: [2, 3, 4, 5, 6, 7, 8])
        if onlyTestData {
            out +=
                "\nNo live-mode transactions in this period, but test-mode ones exist: "
                + "see them with --mode test (or --mode all).\n"
        }
        return out
    }

    /// The partners, then the unattributed entry if there is one.
    var entries: [ReportEntry] { partners + (unattributed.map { [$0] } ?? []) }

    var periodText: String {
        switch (from, to) {
        case (nil, nil): "all time"
        case (let f?, nil): "from \(f)"
        case (nil, let t?): "before \(t)"
        case (let f?, let t?): "from \(f) to \(t) (excluded)"
        }
    }

    /// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
