import MatrixProtocol
import Testing

@Suite struct MediaIDTests {
    @Test func acceptsTheSpecAlphabetOnly() throws {
        #expect(try MediaID("AQwafuaFswefuhsfAFAgsw").value == "AQwafuaFswefuhsfAFAgsw")
        #expect(try MediaID("a_b-C9").value == "a_b-C9")
        for bad in ["", "..", "a/b", "a%2Fb", "a.b", "a b", "a\u{0}b", "é", "ａ", String(repeating: "x", count: 256)] {
            #expect(throws: IdentifierError.self, "\(bad.debugDescription)") { try MediaID(bad) }
        }
        #expect(try MediaID(String(repeating: "x", count: 255)).value.count == 255)
    }

    @Test func mxcURIPrints() throws {
        let uri = MXCURI(server: try ServerName("example.org:8448"), mediaID: try MediaID("abc"))
        #expect(uri.description == "mxc://example.org:8448/abc")
    }
}
