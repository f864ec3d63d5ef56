/// How events become transactions (docs/events.md and docs/operations.md).
public struct ApplySettings: Sendable, Equatable {
    /// Where transactions come from.
    public enum TransactionSource: String, Sendable, CaseIterable { case charge, invoice }
    /// What a partial refund does to its transaction.
    public enum PartialRefunds: String, Sendable, CaseIterable { case prorate, delete }

    public var transactionSource: TransactionSource
    public var partialRefunds: PartialRefunds

    public init(transactionSource: TransactionSource = .charge, partialRefunds: PartialRefunds = .prorate) {
        self.transactionSource = transactionSource
        self.partialRefunds = partialRefunds
    }
}

/// What applying one event did.
public enum ApplyOutcome: Sendable, Equatable {
    case applied
    case ignored
}
