import AttributionStore
import AttributionTestSupport
import Foundation

/// (2b) One busy customer: how fast the worker applies more charges to a
/// customer key (with its partner and Stripe customer) that already has N
/// charges applied, against as many new charges of new distinct customers
/// after N others, in the same run. A projector that re-derives a customer
/// from its whole history slows as the history grows; the targets say it must not.
///
/// Only the next `measured` charges are timed, so every row times the same
/// number of events with the same number of keys in play, and the history is
/// the one thing that differs. Timed as the whole drain of N events instead,
/// the 1,000-charge row lasted about 80 ms and its rate was mostly start-up:
/// it came out 1.25 × slower than 100,000 charges on one key (2026-12-07).
struct HotKeyBench {
    /// Charges already applied on the key, e.g. [1, 1_000, 100_000].
    let sizes: [Int]
    /// Charges timed after them.
    var measured = 20_000
    /// Rounds, each measuring every size: single drains of 20,000 moved by a
    /// quarter on a machine whose own baseline fell 28 % within minutes.
    var rounds = 3

    func run(into table: inout ResultTable) async throws {
        // One entry per round: for each size, the hot key's rate and the distinct customers'.
        var measuredRounds: [[Int: (hot: Double, distinct: Double)]] = []
        for round in 1...rounds {
            var rates: [Int: (hot: Double, distinct: Double)] = [:]
            for size in sizes {
                print(
                    "hot key: round \(round) of \(rounds): \(measured) more charges on a key with \(size), "
                        + "and \(measured) new customers after \(size)…")
                rates[size] = (
                    hot: try await drainRate(after: size, customer: { _ in 0 }),
                    distinct: try await drainRate(after: size, customer: { $0 })
                )
            }
            measuredRounds.append(rates)
        }
        let of = "median of \(rounds) rounds"
        for size in sizes {
            let pairs = measuredRounds.compactMap { $0[size] }
            table.add(
                "drain events/s of \(measured) charges on a customer key that has \(size) (\(of))",
                format(median(pairs.map(\.hot))), baseline: format(median(pairs.map(\.distinct))),
                ratio: format(median(pairs.map { $0.hot / $0.distinct }), 2),
                target: size >= 100_000 ? "≥ 0.5 (vs distinct)" : "")
        }
        let compared = sizes.filter { $0 > 1 }.sorted()
        if compared.count >= 2, let small = compared.first, let large = compared.last {
            // Every round measured every size.
            let hot = measuredRounds.map { (small: $0[small]!.hot, large: $0[large]!.hot) }
            table.add(
                "drain rate, on a key that has \(large) vs \(small) charges (\(of))", format(median(hot.map(\.large))),
                baseline: format(median(hot.map(\.small))), ratio: format(median(hot.map { $0.large / $0.small }), 2),
                target: "0.8 – 1.2")
        }
    }

    /// Events per second for the worker to drain `measured` charges after `history` charges
    /// were drained untimed; charge n belongs to customer `customer(n)`.
    func drainRate(after history: Int, customer: (Int) -> Int) async throws -> Double {
        let (db, dir) = try await Self.backlogDatabase((0..<history).map { Self.charge($0, customer: customer($0)) })
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Self.drain(db)
        try await Self.deliver((history..<history + measured).map { Self.charge($0, customer: customer($0)) }, to: db)
        let time = try await ContinuousClock().measure { try await Self.drain(db) }
        guard try db.inboxRows(status: .pending, limit: 1).isEmpty else { throw BenchError("the drain left events pending") }
        return Double(measured) / time.seconds
    }

    static func drain(_ db: AppDatabase) async throws {
        try await db.drainDue(batchSize: 200, settings: ApplySettings(), retry: RetryPolicy(), now: { 1_900_000_000 })
    }

    static func deliver(_ payloads: [String], to db: AppDatabase) async throws {
        for start in stride(from: 0, to: payloads.count, by: 5000) {
            try await db.deliver(Array(payloads[start..<min(start + 5000, payloads.count)]))
        }
    }

    /// A database in a new temporary directory with `payloads` in its inbox.
    static func backlogDatabase(_ payloads: [String]) async throws -> (AppDatabase, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attributiond-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = try AppDatabase.open(path: dir.appendingPathComponent("bench.sqlite").path)
        try await deliver(payloads, to: db)
        return (db, dir)
    }

    /// A paid charge naming `customer_key`, `partner_key` and the Stripe customer of
    /// `customer`; written by hand, since a million through JSONSerialization take minutes.
    static func charge(_ n: Int, customer: Int) -> String {
        """
        {"id":"evt_hk_\(n)","object":"event","type":"charge.succeeded","created":\(1_700_000_000 + n),"livemode":true,\
        "api_version":"2026-07-29.dahlia","pending_webhooks":1,"data":{"object":{"id":"ch_hk_\(n)","object":"charge",\
        "created":\(1_700_000_000 + n),"amount":\(1000 + n % 500),"amount_captured":\(1000 + n % 500),"amount_refunded":0,\
        "refunded":false,"captured":true,"currency":"usd","customer":"cus_hk_\(customer)","status":"succeeded",\
        "paid":true,"livemode":true,"metadata":{"customer_key":"ck_\(customer)","partner_key":"pk_\(customer % 50)"},\
        "payment_intent":null}}}
        """
    }
}

/// (2c) `events rebuild` on a large inbox against the incremental drain of the
/// same events, in the same run. Separate from the rest (`--only rebuild`):
/// a million events take minutes to build.
struct RebuildBench {
    let events: Int

    func run(into table: inout ResultTable) async throws {
        print("rebuild: building an inbox of \(events) events…")
        // A customer of a few charges each: the usual shape.
        let payloads = (0..<events).map { HotKeyBench.charge($0, customer: $0 / 4) }
        let (db, dir) = try await HotKeyBench.backlogDatabase(payloads)
        defer { try? FileManager.default.removeItem(at: dir) }
        print("rebuild: incremental drain…")
        let clock = ContinuousClock()
        let drain = try await clock.measure {
            try await db.drainDue(batchSize: 200, settings: ApplySettings(), retry: RetryPolicy(), now: { 1_900_000_000 })
        }
        print("rebuild: events rebuild…")
        let rebuild = try clock.measure { try db.rebuild(settings: ApplySettings(), now: 1_900_000_000) }
        table.add(
            "events rebuild of \(events) events s", format(rebuild.seconds, 1),
            baseline: format(drain.seconds, 1), ratio: format(rebuild.seconds / drain.seconds, 2),
            target: "≤ 1.5 (vs incremental drain)")
    }
}
