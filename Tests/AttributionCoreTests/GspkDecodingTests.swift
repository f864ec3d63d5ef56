import AttributionCore
import Testing

/// `gspk` is the base64 of a partner key in referral links: both alphabets,
/// padding optional, and a clear refusal of anything else.
@Suite struct GspkDecodingTests {
    @Test(arguments: [
        ("cF9hY21l", "p_acme"),  // standard, no padding needed
        ("YWNtZQ==", "acme"),  // standard with padding
        ("YWNtZQ", "acme"),  // padding left out
        ("YWNtZQ=", "acme"),  // partial padding
        ("cGFydG5lcj8-Pg", "partner?>>"),  // URL-safe '-' (standard would be '+')
        ("cGFydG5lcj8_", "partner??"),  // URL-safe '_' (standard would be '/')
        ("cGFydG5lcj8+Pg==", "partner?>>"),
        ("w6lxdWlwZQ", "équipe"),  // UTF-8
        (" YWNtZQ== ", "acme"),  // surrounding spaces from copy-paste
    ])
    func decodes(gspk: String, key: String) throws {
        #expect(try Gspk.decode(gspk) == key)
    }

    @Test(arguments: [
        ("", "empty"),
        ("!!!!", "not base64"),
        ("YWNtZQ===", "not base64"),  // too much padding
        ("YW=NtZQ", "not base64"),  // padding inside
        ("Y", "bad length"),
        ("cGFy-G5l/g", "mixes"),  // both alphabets at once
        ("//79", "UTF-8"),  // bytes ff fe fd
        ("ICAg", "empty partner key"),  // three spaces
    ])
    func refuses(gspk: String, reason: String) {
        #expect {
            try Gspk.decode(gspk)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("cannot decode gspk") && text.contains(reason)
        }
    }

    @Test func partnerKeyIsGivenDirectlyOrAsGspkButNotBoth() throws {
        #expect(try Gspk.partnerKey(partnerKey: "p_acme", gspk: nil) == "p_acme")
        #expect(try Gspk.partnerKey(partnerKey: nil, gspk: "cF9hY21l") == "p_acme")
        #expect(throws: GspkError.self) { try Gspk.partnerKey(partnerKey: nil, gspk: nil) }
        #expect(throws: GspkError.self) { try Gspk.partnerKey(partnerKey: "p_acme", gspk: "cF9hY21l") }
        #expect(throws: GspkError.self) { try Gspk.partnerKey(partnerKey: " ", gspk: nil) }
    }
}
