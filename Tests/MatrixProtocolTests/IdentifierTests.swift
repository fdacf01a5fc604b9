import Testing
@testable import MatrixProtocol

@Suite struct IdentifierTests {
    @Test(arguments: ["localhost", "example.org", "example.org:8448", "1.2.3.4", "1.2.3.4:1234",
                      "[::1]", "[::1]:8448", "[1234:5678::abcd]", "[2001:db8::1.2.3.4]", "matrix-1.example.com:65535"])
    func validServerNames(_ name: String) throws {
        let s = try ServerName(name)
        #expect(s.description == name)
    }

    @Test(arguments: ["", "example.org:", "example.org:0", "example.org:65536", "example.org:80a",
                      "exa mple.org", "ex_ample.org", "[::1", "[::1]x", "[:::1]", "[1::2::3]", "[g::1]",
                      "[::1]:", "ex@mple.org", String(repeating: "a", count: 256)])
    func invalidServerNames(_ name: String) {
        #expect(throws: IdentifierError.self) { try ServerName(name) }
    }

    @Test func serverNameParts() throws {
        let s = try ServerName("[::1]:8448")
        #expect(s.host == "[::1]" && s.port == 8448 && s.isIPLiteral)
        #expect(try ServerName("1.2.3.4").isIPLiteral)
        #expect(try !ServerName("example.org").isIPLiteral)
        #expect(try ServerName("example.org").port == nil)
    }

    @Test func userIDs() throws {
        let u = try UserID("@alice:example.org:8448")
        #expect(u.localpart == "alice" && u.server.port == 8448)
        #expect(try UserID("@Old|Style!:example.org").localpart == "Old|Style!")  // historical
        for bad in ["alice:example.org", "@:example.org", "@alice", "@alice:", "@al ice:example.org", "@é:example.org"] {
            #expect(throws: IdentifierError.self, "\(bad)") { try UserID(bad) }
        }
        #expect(UserID.isValidNewLocalpart("alice.b_c=d-e/f+g9"))
        #expect(!UserID.isValidNewLocalpart("Alice"))
        #expect(!UserID.isValidNewLocalpart(""))
        #expect(!UserID.isValidNewLocalpart("a:b"))
    }

    @Test func roomAndEventIDs() throws {
        #expect(try RoomID("!abc:example.org").server?.host == "example.org")
        #expect(try RoomID("!Hd3fvIfZAbJbD7OCNo8PPKZ1K5lGhpQHyd8QUy6vj3k").server == nil)  // v12
        #expect(throws: IdentifierError.self) { try RoomID("#abc:example.org") }
        #expect(throws: IdentifierError.self) { try RoomID("!:example.org") }
        #expect(throws: IdentifierError.self) { try RoomID("!") }
        #expect(try EventID("$abc:example.org").rawValue == "$abc:example.org")
        #expect(try EventID("$acR1l0raoZnm60CBwAVgqbZqoO_mYU81xysh1u7XcJk").rawValue.count == 44)
        #expect(throws: IdentifierError.self) { try EventID("$") }
        #expect(throws: IdentifierError.self) { try EventID("abc") }
        let alias = try RoomAlias("#room:example.org")
        #expect(alias.localpart == "room" && alias.server.host == "example.org")
        #expect(throws: IdentifierError.self) { try RoomAlias("#:example.org") }
        #expect(throws: IdentifierError.self) { try RoomAlias("#room") }
    }
}
