import Dispatch
import Synchronization

/// Whether the webhook intake is waiting for SQLite's single writer.
///
/// The intake answers Stripe only after its commit, so it must never sit behind
/// a long worker transaction: the worker reads this flag between events and
/// commits early when the intake wants the writer (after a minimum of events,
/// so a busy intake cannot starve the worker either).
public final class IntakePressure: Sendable {
    private let waiting = Atomic<Bool>(false)
    /// Monotonic time (ns) the intake last started or finished a flush.
    private let lastChange = Atomic<UInt64>(0)

    public init() {}

    public var isWaiting: Bool { waiting.load(ordering: .relaxed) }

    /// True when the intake has not flushed for `milliseconds`: no burst of webhooks is going on.
    public func isQuiet(forMilliseconds milliseconds: UInt64) -> Bool {
        !isWaiting && DispatchTime.now().uptimeNanoseconds &- lastChange.load(ordering: .relaxed) > milliseconds * 1_000_000
    }

    func set(_ value: Bool) {
        waiting.store(value, ordering: .relaxed)
        lastChange.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }
}
