import Synchronization

/// Whether the webhook intake is waiting for SQLite's single writer.
///
/// The intake answers Stripe only after its commit, so it must never sit behind
/// a long worker transaction: the worker reads this flag between events and
/// commits early when the intake wants the writer (after a minimum of events,
/// so a busy intake cannot starve the worker either).
public final class IntakePressure: Sendable {
    private let waiting = Atomic<Bool>(false)

    public init() {}

    public var isWaiting: Bool { waiting.load(ordering: .relaxed) }

    func set(_ value: Bool) { waiting.store(value, ordering: .relaxed) }
}
