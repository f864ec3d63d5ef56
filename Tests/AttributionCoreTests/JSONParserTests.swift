import AttributionTestSupport
import Foundation
import Testing

@testable import AttributionCore

/// The worker's JSON parser against Foundation's `JSONSerialization`, the
/// parser it replaced: the same verdict and the same value for every input.
@Suite("JSON parser agrees with Foundation")
struct JSONParserTests {
    typealias Fuzz = SignatureAndDecoderFuzzTests

    /// Foundation's verdict, converted as the worker used to convert it. Two
    /// differences are deliberate: an integer beyond `Int64` gets no exact
    /// integer value (Foundation wraps it around), and a decimal with more
    /// digits than a `Double` holds is rounded correctly (Foundation can be a
    /// few ulps off there, so doubles agree within four).
    static func oracle(_ bytes: [UInt8]) -> JSONValue? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return nil
        }
        return convert(object)
    }

    static func convert(_ value: Any) -> JSONValue {
        switch value {
        case let dictionary as [String: Any]: .object(dictionary.mapValues(convert))
        case let array as [Any]: .array(array.map(convert))
        case let string as String: .string(string)
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "c", "B": .bool(number.boolValue)
            case "d", "f":
                .number(
                    number.doubleValue,
                    number.doubleValue.rounded() == number.doubleValue
                        && abs(number.doubleValue) < 9e15 ? Int64(number.doubleValue) : nil)
            case "Q": .number(number.doubleValue, number.uint64Value <= UInt64(Int64.max) ? Int64(number.uint64Value) : nil)
            default: .number(number.doubleValue, number.int64Value)
            }
        default: .null
        }
    }

    /// The parser's verdict, or nil; documents nested too deep are left out (refused by depth, not syntax).
    static func parsed(_ bytes: [UInt8]) -> JSONValue?? {
        do { return .some(try JSONValue.parse(bytes)) } catch is JSONDepthError { return .none } catch { return .some(nil) }
    }

    func expectAgreement(_ bytes: [UInt8], _ label: String) {
        guard let mine = Self.parsed(bytes) else { return }
        let theirs = Self.oracle(bytes)
        #expect(Self.agree(mine, theirs), "\(label): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
    }

    static func agree(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (.number(let x, let i)?, .number(let y, let j)?): i == j && (x == y || abs(x - y) <= 4 * x.ulp)
        case (.object(let x)?, .object(let y)?): x.keys.sorted() == y.keys.sorted() && x.allSatisfy { agree($0.value, y[$0.key]) }
        case (.array(let x)?, .array(let y)?): x.count == y.count && zip(x, y).allSatisfy { agree($0, $1) }
        default: a == b
        }
    }

    @Test("edge cases: escapes, surrogates, numbers, control characters, trailing commas, a byte-order mark")
    func edgeCases() {
        let cases = [
            #"{"a":"\ud800"}"#, #"{"a":"\udc00\ud800"}"#, "{\"a\":\"x\u{1}y\"}", #"{"a":1,"a":2}"#,
            #"{"a":9223372036854775807}"#, #"{"a":9223372036854775808}"#, #"{"a":-9223372036854775809}"#,
            #"{"a":18446744073709551616}"#, #"{"a":1e400}"#, #"{"a":-1e400}"#, #"{"a":-0}"#, #"{"a":1.0}"#,
            #"{"a":1E2}"#, #"{"a":1e+2}"#, #"{"a":1e-2}"#, #"{"a":01}"#, #"{"a":+1}"#, #"{"a":.5}"#, #"{"a":1.}"#,
            #"{"a":1e}"#, #"{"a":-}"#, #"{"a":NaN}"#, "{\"a\":1} \n", "{\"a\":1} x", #"{"a":"\u0000"}"#,
            #"{"a":1,}"#, "[1,]", "[,]", "{,}", #"{"a":1,,}"#, #"{"a":12345678901234567890.5}"#, #"{"a":0.1}"#,
            #"{"a":true,"b":false,"c":null}"#, #""\/""#, "{\"a\":\"\t\"}", #"{"a":"\x"}"#,
            #"{"a":"\u00e9\uD83D\uDE00"}"#, "  {}  ", "{\"a\"\n:\r1}", #"{"a":9007199254740993}"#,
            #"{"a":100000000000000000000}"#, #"{"a":-0.0}"#, #"{"a":"\uD800\u0041"}"#, "{\"a\":\"\u{7F}\"}",
            #"{"a":1}{"#, "\u{FEFF}{}", #"{"a":[1,{"b":"c"}]}"#, #"{"a":"\uDBFF\uDFFF"}"#, #"{"a":"\u12"}"#,
            #"{"a":tru}"#, #"{"a":nul}"#, "", " ", "\"", #"{"a""#, #"{"a":}"#, #"{:1}"#, #"{1:1}"#, "[1 2]",
            #"{"é":"ü","k":"\"\\\/\b\f\n\r\t"}"#, "true", "-12", "\"x\"", "null",
        ]
        for (n, text) in cases.enumerated() { expectAgreement(Array(text.utf8), "case \(n)") }
        for bytes: [UInt8] in [
            [0xC0, 0x80], [0x22, 0xFF, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x7B, 0x7D, 0x00],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
        ] {
            expectAgreement(bytes, "bytes \(bytes)")
        }
    }

    @Test("real events and their byte-level mutations parse to the same value or fail together")
    func mutatedEvents() {
        var agreedValid = 0
        for seed in Fuzz.seedEvents() { expectAgreement(seed, "seed event") }
        Fuzz.eachMutatedEvent(seed: Fuzz.seed &+ 4) { n, body in
            expectAgreement(body, "case \(n)")
            if Self.oracle(body) != nil { agreedValid += 1 }
        }
        #expect(agreedValid > Fuzz.cases / 20, "enough mutations stay valid JSON for the values to be compared")
    }

    @Test("the intake accepts exactly the bodies the worker can read, with the same envelope")
    func intakeAndWorkerAgree() {
        var accepted = 0
        Fuzz.eachMutatedEvent(seed: Fuzz.seed &+ 5) { n, body in
            // The intake builds only the envelope; the worker builds everything.
            let envelope = try? StripeEnvelope.decode(body)
            let event = try? StripeEvent.decode(body)
            #expect(
                envelope.map { [$0.id, $0.type, "\($0.created)", "\($0.livemode)", $0.apiVersion ?? "-"] }
                    == event.map { [$0.id, $0.type, "\($0.created)", "\($0.livemode)", $0.apiVersion ?? "-"] },
                "case \(n): \(String(decoding: body, as: UTF8.self).debugDescription)")
            if envelope != nil { accepted += 1 }
        }
        #expect(accepted > Fuzz.cases / 20)
    }
}
