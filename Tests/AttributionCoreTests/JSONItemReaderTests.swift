import AttributionCore
import Testing

/// How `import` splits a file into items: JSON lines, arrays, list pages, any mix, and the broken cases.
@Suite("JSON item reader")
struct JSONItemReaderTests {
    /// Every output of the reader for `text`, items as text, read in chunks of `chunk` bytes.
    func read(_ text: String, limit: Int = 1 << 20, chunk: Int = 7) throws -> [String] {
        read(Array(text.utf8), limit: limit, chunk: chunk)
    }

    func read(_ bytes: [UInt8], limit: Int = 1 << 20, chunk: Int = 7) -> [String] {
        var reader = JSONItemReader(source: MemorySource(bytes), limit: limit, chunkSize: chunk)
        var out: [String] = []
        while let output = try! reader.next() {
            switch output {
            case .item(let bytes, let at): out.append("\(at.item)@\(at.line) \(String(decoding: bytes, as: UTF8.self))")
            case .problem(let why, let at): out.append("\(at.item)@\(at.line) problem: \(why)")
            }
        }
        return out
    }

    @Test("JSON lines, an array, a list page and concatenated pretty-printed pages give the same items")
    func formats() throws {
        let lines = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n"
        #expect(try read(lines) == ["1@1 {\"id\":\"a\"}", "2@2 {\"id\":\"b\"}"])
        #expect(try read("[{\"id\":\"a\"},\n {\"id\":\"b\"}]") == ["1@1 {\"id\":\"a\"}", "2@2 {\"id\":\"b\"}"])
        let page = """
            {
              "object": "list",
              "data": [
                {"id": "a"},
                {"id": "b", "nested": {"data": [1, 2]}}
              ],
              "has_more": false,
              "url": "/v1/customers"
            }
            {"object": "list", "data": [{"id": "c"}], "has_more": false}
            """
        #expect(
            try read(page) == [
                "1@4 {\"id\": \"a\"}", "2@5 {\"id\": \"b\", \"nested\": {\"data\": [1, 2]}}", "3@10 {\"id\": \"c\"}",
            ])
    }

    @Test("strings with escaped quotes, brackets and a byte-order mark do not confuse the split")
    func strings() throws {
        let text = "\u{FEFF}{\"id\":\"a\\\"]}\",\"x\":\"[{\"}\n"
        #expect(try read(text) == ["1@1 {\"id\":\"a\\\"]}\",\"x\":\"[{\"}"])
    }

    @Test("truncated JSON is a problem at the item it cuts, and reading stops")
    func truncated() throws {
        #expect(
            try read("{\"id\":\"a\"}\n{\"id\":\"b\",\"x\":[1,") == [
                "1@1 {\"id\":\"a\"}", "2@2 problem: truncated JSON: the file ends inside an item",
            ])
        #expect(
            try read("{\"id\":\"a\"}\n{\"id\"") == [
                "1@1 {\"id\":\"a\"}", "2@2 problem: truncated or broken JSON: expected a member name",
            ])
        #expect(
            try read("[{\"id\":\"a\"}, {\"id\":") == [
                "1@1 {\"id\":\"a\"}", "2@1 problem: truncated JSON: the file ends inside an item",
            ])
        #expect(
            try read("{\"object\":\"list\",\"data\":[{\"id\":\"a\"}") == [
                "1@1 {\"id\":\"a\"}", "2@1 problem: truncated JSON: the file ends inside an array",
            ])
    }

    @Test("an item over the limit is reported, not kept; the items after it are read")
    func oversize() throws {
        let big = "{\"id\":\"" + String(repeating: "x", count: 100) + "\"}"
        #expect(
            try read("\(big)\n{\"id\":\"b\"}", limit: 50) == [
                "1@1 problem: item is larger than 50 bytes (the webhook body limit)", "2@2 {\"id\":\"b\"}",
            ])
    }

    @Test("stray text and an object with a data array that is not a list are problems")
    func strays() throws {
        #expect(try read("{\"id\":\"a\"} nope") == ["1@1 {\"id\":\"a\"}", "2@1 problem: expected a JSON object or array, found 'n'"])
        #expect(
            try read("{\"object\":\"customer\",\"data\":[{\"id\":\"a\"}]}") == [
                "1@1 {\"id\":\"a\"}", "1@1 problem: an object of type 'customer' with a data array is not a list page",
            ])
    }

    @Test("a list page whose data is not an array is one item (the item reader refuses it)")
    func dataNotArray() throws {
        #expect(try read("{\"object\":\"list\",\"data\":{\"id\":\"a\"}}") == ["1@1 {\"object\":\"list\",\"data\":{\"id\":\"a\"}}"])
    }
}
