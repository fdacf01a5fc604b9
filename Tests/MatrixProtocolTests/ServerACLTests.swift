import MatrixProtocol
import Testing

@Suite struct ServerACLTests {
    @Test func allowAndDenyGlobs() {
        let acl = ServerACL(content: ["allow": ["*"], "deny": ["*.evil.example", "bad?.org"], "allow_ip_literals": false])
        #expect(acl.allows("good.example"))
        #expect(acl.allows("good.example:8448"))
        #expect(!acl.allows("spam.evil.example"))
        #expect(!acl.allows("SPAM.EVIL.EXAMPLE:443"))
        #expect(!acl.allows("bad1.org"))
        #expect(acl.allows("bad12.org"))
        #expect(!acl.allows("127.0.0.1:8448"))
        #expect(!acl.allows("[::1]:8448"))
    }

    @Test func emptyAllowListBansEveryone() {
        let acl = ServerACL(content: ["deny": []])
        #expect(!acl.allows("anyone.example"))
        #expect(ServerACL(content: ["allow": ["*"]]).allows("127.0.0.1"))
    }
}
