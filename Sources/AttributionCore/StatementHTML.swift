/// The statement as one self-contained HTML page: inline CSS, no scripts, no
/// external resources, laid out for A4 so it prints as it shows.
extension PartnerStatement {
    public func htmlText() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        func money(_ v: Int64, _ c: String) -> String { esc(Money.format(v, currency: c)) }
        var rows = ""
        for t in transactions {
            rows +=
                "<tr><td>\(esc(t.transactionId))</td><td>\(esc(String(t.occurredAt.prefix(10))))</td>"
                + "<td class=n>\(money(t.netAmount, t.currency))</td><td class=n>\(money(t.commission, t.currency))</td>"
                + "<td class=n>\(money(t.paid, t.currency))</td><td><span class=\"s \(esc(t.status))\">\(esc(t.status))</span></td></tr>\n"
        }
        if transactions.isEmpty { rows = "<tr><td colspan=6>No transactions in this period.</td></tr>\n" }
        let totals = periodTotals.map { "<strong>\(money($0.commission, $0.currency))</strong>" }.joined(separator: ", ")
        var payoutRows = ""
        for p in payouts {
            payoutRows +=
                "<tr><td>\(esc(p.payoutId))</td><td>\(esc(String(p.createdAt.prefix(10))))</td>"
                + "<td>\(esc(p.status))</td><td class=n>\(money(p.amount, p.currency))</td></tr>\n"
        }
        var balanceRows = ""
        for b in balances {
            balanceRows +=
                "<tr><td>\(esc(b.currency.uppercased()))</td>"
                + [b.earned, b.pending, b.held, b.paid].map { "<td class=n>\(money($0, b.currency))</td>" }.joined()
                + "<td class=\"n due\">\(money(b.due, b.currency))</td></tr>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Statement \(esc(partnerKey)) \(esc(periodText))</title>
            <style>
            @page { size: A4; margin: 18mm 16mm; }
            body { font: 10.5pt/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2433; margin: 0 auto; max-width: 178mm; }
            h1 { font-size: 18pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 8mm 0 2mm; border-bottom: 1px solid #d8dde6; padding-bottom: 1mm; }
            .meta { color: #5b6475; margin-bottom: 6mm; }
            table { width: 100%; border-collapse: collapse; page-break-inside: auto; } tr { page-break-inside: avoid; }
            th { text-align: left; font-weight: 600; color: #5b6475; font-size: 9pt; border-bottom: 1px solid #d8dde6; padding: 1.5mm 2mm; }
            td { padding: 1.5mm 2mm; border-bottom: 1px solid #eef1f5; } .n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            .s { font-size: 8.5pt; padding: 0.3mm 2mm; border-radius: 2mm; background: #eef1f5; }
            .paid { background: #e3f4e8; } .payable { background: #e6eefc; } .pending { background: #fff4d6; } .held, .clawback { background: #fde7e7; }
            .total { margin-top: 3mm; text-align: right; } .due { font-weight: 700; }
            </style></head><body>
            <h1>Commission statement</h1>
            <div class="meta">\(esc(name ?? partnerKey)) · \(esc(partnerKey))\(email.map { " · " + esc($0) } ?? "")<br>Period: \(esc(periodText)) · Customers referred: \(customers.count)</div>
            <h2>Transactions</h2>
            <table><thead><tr><th>Transaction</th><th>Date</th><th class=n>Net</th><th class=n>Commission</th><th class=n>Paid</th><th>Status</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            <p class="total">Commission this period: \(totals.isEmpty ? "none" : totals)</p>
            <h2>Payouts</h2>
            <table><thead><tr><th>Payout</th><th>Date</th><th>Status</th><th class=n>Amount</th></tr></thead>
            <tbody>
            \(payoutRows.isEmpty ? "<tr><td colspan=4>No payouts yet.</td></tr>\n" : payoutRows)</tbody></table>
            <h2>Balance</h2>
            <table><thead><tr><th>Currency</th><th class=n>Earned</th><th class=n>Pending</th><th class=n>Held</th><th class=n>Paid</th><th class=n>Due</th></tr></thead>
            <tbody>
            \(balanceRows.isEmpty ? "<tr><td colspan=6>Nothing earned yet.</td></tr>\n" : balanceRows)</tbody></table>
            </body></html>

            """
    }
}
