import AttributionCore
import AttributionTestSupport
import Foundation
import Testing

/// Property-based fuzzing of the `Stripe-Signature` check and the event decoder,
/// with a seeded generator: never a crash, and verdicts that agree with how the
/// header was built.
///
/// A seeded loop rather than swift-property-based: the inputs are byte-level
/// mutations whose shrinking would tell little, and a plain loop needs no new
/// dependency while still replaying a failure from its printed seed.
/// `ATTRIBUTIOND_FUZZ=long` (or `ATTRIBUTIOND_FUZZ_CASES=N`) runs longer;
/// `ATTRIBUTIOND_FUZZ_SEED` picks another seed.
@Suite("Fuzzing the signature header and the event decoder")
struct SignatureAndDecoderFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let cases =
        environment["ATTRIBUTIOND_FUZZ_CASES"].flatMap(Int.init)
        ?? (environment["ATTRIBUTIOND_FUZZ"] == "long" ? 300_000 : 3_000)
    static let seed = environment["ATTRIBUTIOND_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_129
    static let now: Int64 = 1_800_000_000

    static func bytes(_ rng: inout SeededGenerator, max: Int = 300) -> [UInt8] {
        (0..<Int.random(in: 1...max, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func secret(_ rng: inout SeededGenerator) -> String {
        "whsec_"
            + String(
                (0..<Int.random(in: 1...40, using: &rng)).map { _ in
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".randomElement(using: &rng)!
                })
    }

    @Test("a header built with the right secret verifies; any change to body, signature or secret does not")
    func verdictsAgreeWithConstruction() {
        var rng = SeededGenerator(seed: Self.seed)
        for n in 0..<Self.cases {
            let secret = Self.secret(&rng)
            let payload = Self.bytes(&rng)
            let timestamp = Self.now + Int64.random(in: -300...300, using: &rng)
            let header = StripeSignatureVerifier.header(payload: payload, secret: secret, timestamp: timestamp)
            let verifier = StripeSignatureVerifier(secrets: [Self.secret(&rng), secret].shuffled(using: &rng))
            #expect(throws: Never.self, "case \(n)") { try verifier.verify(payload: payload, header: header, now: Self.now) }

            // Extra items Stripe may add (v0, unknown schemes, spaces) do not change the verdict.
            let noisy =
                ([header]
                + ["v0=\(Hex.encode(Self.bytes(&rng, max: 32)))", " x=1 ", "v2=abc"].shuffled(using: &rng)
                .prefix(Int.random(in: 0...3, using: &rng))).shuffled(using: &rng).joined(separator: ",")
            #expect(throws: Never.self, "case \(n): \(noisy)") { try verifier.verify(payload: payload, header: noisy, now: Self.now) }

            var body = payload
            let i = Int.random(in: 0..<body.count, using: &rng)
            body[i] ^= UInt8.random(in: 1...255, using: &rng)
            #expect(throws: SignatureError.noMatchingSignature, "case \(n): body byte \(i) changed") {
                try verifier.verify(payload: body, header: header, now: Self.now)
            }

            var signature = Array(header.utf8)
            let j = Int.random(in: (signature.count - 64)..<signature.count, using: &rng)
            let replacement = Array("0123456789abcdef".utf8).filter { $0 != signature[j] }.randomElement(using: &rng)!
            signature[j] = replacement
            #expect(throws: SignatureError.noMatchingSignature, "case \(n): signature digit \(j) changed") {
                try verifier.verify(payload: payload, header: String(decoding: signature, as: UTF8.self), now: Self.now)
            }

            // Another secret by construction (a fresh random one may, rarely, be the same).
            let stranger = StripeSignatureVerifier(secrets: [secret + "x"])
            #expect(throws: SignatureError.noMatchingSignature) {
                try stranger.verify(payload: payload, header: header, now: Self.now)
            }
            let offset = 301 + Int64.random(in: 0...100_000, using: &rng)
            let then = Bool.random(using: &rng) ? timestamp + offset : timestamp - offset
            #expect(throws: SignatureError.timestampOutsideTolerance) {
                try verifier.verify(payload: payload, header: header, now: then)
            }
        }
    }

    @Test("random and mutated headers never crash the parser, and never verify without the signature")
    func randomHeadersNeverVerify() {
        var rng = SeededGenerator(seed: Self.seed &+ 1)
        let pieces = [
            "t=", "v1=", "v0=", ",", " ", "=", "\t", "1800000000", "-1", "99999999999999999999", "t",
            String(repeating: "a", count: 64), String(repeating: "0", count: 63), "é", "\u{0}", ";", "v1=v1=",
        ]
        let payload = Array("{\"id\":\"evt\"}".utf8)
        let verifier = StripeSignatureVerifier(secrets: ["whsec_fuzz"])
        for n in 0..<Self.cases {
            let header: String
            if Bool.random(using: &rng) {
                header = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            } else {
                header = String(decoding: Self.bytes(&rng, max: 200), as: UTF8.self)
            }
            let first = Result(catching: { try verifier.verify(payload: payload, header: header, now: Self.now) })
            let second = Result(catching: { try verifier.verify(payload: payload, header: header, now: Self.now) })
            #expect(first.failed, "case \(n): a random header verified: \(header.debugDescription)")
            #expect(first.errorDescription == second.errorDescription, "case \(n): two verdicts for one header")
        }
    }

    @Test("mutated events never crash the decoder or the snapshot readers; what decodes has an id and a type")
    func mutatedEventsNeverCrash() {
        var decoded = 0
        Self.eachMutatedEvent(seed: Self.seed &+ 2) { n, body in
            guard let event = try? StripeEvent.decode(body) else { return }
            decoded += 1
            #expect(!event.id.isEmpty && !event.type.isEmpty, "case \(n)")
            #expect((try? StripeEvent.decode(body)) == event, "case \(n): decoding is deterministic")
            // The worker's readers: each either reads the snapshot or throws, never traps.
            _ = try? CustomerSnapshot(event: event)
            _ = try? ChargeSnapshot(event: event)
            _ = try? SubscriptionSnapshot(event: event)
            _ = try? InvoiceSnapshot(event: event)
            _ = try? InvoicePaymentLink(event: event)
        }
        #expect(decoded > 0, "some mutations stay valid events, so the readers are exercised")
    }

    /// `cases` mutations of realistic events, each passed with its number; `seed` picks the sequence.
    static func eachMutatedEvent(seed: UInt64, _ check: (Int, [UInt8]) -> Void) {
        var rng = SeededGenerator(seed: seed)
        let seeds = seedEvents()
        for n in 0..<cases { check(n, mutated(seeds.randomElement(using: &rng)!, &rng)) }
    }

    /// Realistic events to mutate.
    static func seedEvents() -> [[UInt8]] {
        TortureEvents.make(count: 50, prefix: "fz", seed: seed, now: Int(now)).map { Array($0.payload.utf8) }
    }

    /// One to four byte-level mutations: a changed, removed or inserted byte, a JSON token
    /// inserted, the tail cut off, or a stretch repeated.
    static func mutated(_ seed: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        let tokens = [
            "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-0", "1e400", "9223372036854775808",
            "\"\\u0000\"", "\"\\ud800\"", "\\", "{\"id\":1}", "\"amount\":-5", "\"created\":\"x\"",
        ].map { Array($0.utf8) }
        var body = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let i = Int.random(in: 0..<max(body.count, 1), using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !body.isEmpty: body[i] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !body.isEmpty: body.remove(at: i)
            case 2: body.insert(contentsOf: tokens.randomElement(using: &rng)!, at: min(i, body.count))
            case 3: body = Array(body.prefix(i))
            default:
                let j = Int.random(in: 0..<max(body.count, 1), using: &rng)
                if i < j { body.insert(contentsOf: body[i..<j], at: j) }
            }
        }
        return body
    }

    @Test("nesting deeper than the limit is refused where it is reached; up to the limit it decodes")
    func nestingDepth() throws {
        var rng = SeededGenerator(seed: Self.seed &+ 3)
        for _ in 0..<200 {
            let depth = Int.random(in: 1...(JSONValue.maxDepth * 3), using: &rng)
            let object = Bool.random(using: &rng)
            let inner =
                String(repeating: object ? #"{"k":"# : "[", count: depth) + "1"
                + String(repeating: object ? "}" : "]", count: depth)
            // The envelope and data.object add three levels around the nested value.
            let body = #"{"id":"evt_d","type":"x","created":1,"data":{"object":{"v":\#(inner)}}}"#
            let result = Result(catching: { try StripeEvent.decode(Array(body.utf8)) })
            if depth + 3 <= JSONValue.maxDepth {
                #expect(!result.failed, "depth \(depth) is refused")
            } else {
                #expect(result.errorDescription?.contains("nested deeper") == true, "depth \(depth): \(result)")
            }
        }
        // Brackets inside strings are text, not nesting.
        let text = String(repeating: "[{", count: 10_000)
        #expect(throws: Never.self) {
            try StripeEvent.decode(Array(#"{"id":"evt","type":"x","created":1,"data":{"object":{"s":"\#(text)"}}}"#.utf8))
        }
        // A million brackets: refused at once, no stack overflow.
        #expect(throws: EventDecodingError.self) {
            try StripeEvent.decode(Array(repeating: UInt8(ascii: "["), count: 1_000_000))
        }
    }
}

extension Result {
    var failed: Bool { if case .failure = self { true } else { false } }
    var errorDescription: String? { if case .failure(let e) = self { "\(e)" } else { nil } }
}
