import Testing
@testable import MatrixProtocol

@Suite struct CanonicalJSONTests {
    @Test func sharedVectors() throws {
        let file = try Vectors.load("canonical_json.json")
        let vectors = try need(file["vectors"]?.arrayValue)
        #expect(vectors.count >= 70)
        for v in vectors {
            let id = v["id"]?.stringValue ?? "?"
            let input = try need(v["input"]?.stringValue)
            if let expected = v["expected"]?.stringValue {
                let out = try CanonicalJSON.canonicalize(input)
                #expect(Array(out.utf8) == Array(expected.utf8), "vector \(id)")
                if let hex = v["expected_utf8_hex"]?.stringValue {
                    let got = out.utf8.map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
                    #expect(got == hex, "vector \(id) bytes")
                }
            } else {
                #expect(v["expected_error"] != nil, "vector \(id) has neither expected nor expected_error")
                #expect(throws: CanonicalJSON.Failure.self, "vector \(id) must be rejected") {
                    try CanonicalJSON.canonicalize(input)
                }
            }
        }
    }

    @Test func parserRejectsMalformedJSON() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "\"a\u{01}\"",
                    "tru", "{\"a\" 1}", "[1] 2", "{'a':1}", "NaN", "\"\\udc00\""] {
            #expect(throws: JSONParseError.self, "\(bad.debugDescription)") { try JSONParser.parse(bad) }
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xff, 0x22]) }  // invalid UTF-8
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func objectKeepsDistinctUnnormalisedKeys() throws {
        var o = JSONObject()
        o["\u{e9}"] = 1
        o["e\u{301}"] = 2
        #expect(o.count == 2)
        #expect(o["\u{e9}"] == 1)
        #expect(o["e\u{301}"] == 2)
        o["\u{e9}"] = nil
        #expect(o.count == 1 && o["\u{e9}"] == nil)
    }

    @Test func nonCanonicalEncodingAllowsFloats() throws {
        let v: JSONValue = ["f": 1.5, "i": .int(Int64.max), "s": "a/b"]
        #expect(v.encodedString() == #"{"f":1.5,"i":9223372036854775807,"s":"a/b"}"#)
        #expect(throws: CanonicalJSONError.self) { try v.canonicalBytes() }
    }
}
