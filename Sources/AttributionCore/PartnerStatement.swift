/// What a business sends a partner for a period (docs/cli.md `partners statement`):
/// its customers, each transaction of the period with its commission and
/// status, its payouts and its balance.
public struct PartnerStatement: Sendable, Equatable, Codable {
    public struct Customer: Sendable, Equatable, Codable {
        public var customerKey: String?
        public var stripeCustomerId: String?
        public var createdAt: String
        public var flag: String?
        enum CodingKeys: String, CodingKey {
            case customerKey = "customer_key", stripeCustomerId = "stripe_customer_id", createdAt = "created_at", flag
        }
        public init(customerKey: String?, stripeCustomerId: String?, createdAt: String, flag: String?) {
            self.customerKey = customerKey
            self.stripeCustomerId = stripeCustomerId
            self.createdAt = createdAt
            self.flag = flag
        }
    }

    public struct Line: Sendable, Equatable, Codable {
        public var transactionId: String
        public var occurredAt: String
        public var currency: String
        public var netAmount: Int64
        public var commission: Int64
        public var paid: Int64
        public var status: String
        enum CodingKeys: String, CodingKey {
            case transactionId = "transaction_id", occurredAt = "occurred_at", currency, netAmount = "net_amount"
            case commission, paid, status
        }
        public init(
            transactionId: String, occurredAt: String, currency: String, netAmount: Int64, commission: Int64,
            paid: Int64, status: String
        ) {
            self.transactionId = transactionId
            self.occurredAt = occurredAt
            self.currency = currency
            self.netAmount = netAmount
            self.commission = commission
            self.paid = paid
            self.status = status
        }
    }

    public struct PayoutLine: Sendable, Equatable, Codable {
        public var payoutId: String
        public var createdAt: String
        public var status: String
        public var currency: String
        public var amount: Int64
        enum CodingKeys: String, CodingKey { case payoutId = "payout_id", createdAt = "created_at", status, currency, amount }
        public init(payoutId: String, createdAt: String, status: String, currency: String, amount: Int64) {
            self.payoutId = payoutId
            self.createdAt = createdAt
            self.status = status
            self.currency = currency
            self.amount = amount
        }
    }

    public var partnerKey: String
    public var name: String?
    public var email: String?
    public var from: String?
    public var to: String?
    public var customers: [Customer]
    public var transactions: [Line]
    public var payouts: [PayoutLine]
    public var balances: [Balance]

    enum CodingKeys: String, CodingKey {
        case partnerKey = "partner_key", name, email, from, to, customers, transactions, payouts, balances
    }

    public init(
        partnerKey: String, name: String?, email: String?, from: String?, to: String?, customers: [Customer],
        transactions: [Line], payouts: [PayoutLine], balances: [Balance]
    ) {
        self.partnerKey = partnerKey
        self.name = name
        self.email = email
        self.from = from
        self.to = to
        self.customers = customers
        self.transactions = transactions
        self.payouts = payouts
        self.balances = balances
    }

    /// The period's commission per currency.
    public var periodTotals: [(currency: String, commission: Int64)] {
        var sums: [String: Int64] = [:]
        for t in transactions { sums[t.currency, default: 0] += t.commission }
        return sums.keys.sorted().map { ($0, sums[$0]!) }
    }

    public var periodText: String {
        switch (from, to) {
        case (nil, nil): "all time"
        case (let f?, nil): "from \(f)"
        case (nil, let t?): "before \(t)"
        case (let f?, let t?): "from \(f) to \(t) (excluded)"
        }
    }

    public func tableText() -> String {
        var out = "Statement for \(name ?? partnerKey) (\(partnerKey)), \(periodText)\n\n"
        out += "Customers: \(customers.count)\n\n"
        var rows = [["TRANSACTION", "DATE", "NET", "COMMISSION", "PAID", "STATUS"]]
        for t in transactions {
            rows.append([
                t.transactionId, t.occurredAt, Money.format(t.netAmount, currency: t.currency),
                Money.format(t.commission, currency: t.currency), Money.format(t.paid, currency: t.currency), t.status,
            ])
        }
        out += transactions.isEmpty ? "No transactions in this period.\n" : TextTable.render(rows, rightAligned: [2, 3, 4])
        out +=
            "\nCommission this period: "
            + (periodTotals.isEmpty
                ? "none"
                : periodTotals.map { Money.format($0.commission, currency: $0.currency) }
                    .joined(separator: ", ")) + "\n"
        if !payouts.isEmpty {
            var p = [["PAYOUT", "CREATED", "STATUS", "AMOUNT"]]
            for l in payouts { p.append([l.payoutId, l.createdAt, l.status, Money.format(l.amount, currency: l.currency)]) }
            out += "\nPayouts\n" + TextTable.render(p, rightAligned: [3])
        }
        out += "\nBalance\n"
        var b = [["CURRENCY", "EARNED", "PENDING", "HELD", "PAID", "DUE"]]
        for x in balances {
            b.append(
                [x.currency.uppercased()] + [x.earned, x.pending, x.held, x.paid, x.due].map { Money.format($0, currency: x.currency) })
        }
        out += balances.isEmpty ? "nothing earned yet\n" : TextTable.render(b, rightAligned: [1, 2, 3, 4, 5])
        return out
    }
}
