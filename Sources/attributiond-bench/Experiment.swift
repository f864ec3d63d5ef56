import ArgumentParser
import AttributionCore
import Foundation

/// Times the pieces of one event's path, for finding where time goes.
struct Experiment: AsyncParsableCommand {
    func run() async throws {
        let payloads = ApplyBench.backlog(count: 20000)
        let clock = ContinuousClock()
        let t = clock.measure { for p in payloads { _ = try! StripeEvent.decode(Array(p.utf8)) } }
        print("StripeEvent.decode: \(Int(Double(payloads.count) / t.seconds)) /s")
        let t3 = clock.measure { for p in payloads { _ = try! StripeEnvelope.decode(Array(p.utf8)) } }
        print("StripeEnvelope.decode: \(Int(Double(payloads.count) / t3.seconds)) /s")
    }
}
