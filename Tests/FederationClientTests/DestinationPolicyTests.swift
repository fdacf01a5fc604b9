import Testing
@testable import FederationClient

@Suite struct DestinationPolicyTests {
    let strict = DestinationPolicy(allowPrivate: false)

    @Test(arguments: ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.1.1", "0.0.0.0",
                      "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "[::1]", "fe80::1", "fe80::1%eth0",
                      "fd00::1", "fc00::5", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2001:db8::1", "ff02::1", "2002:7f00:1::1"])
    func refusesSpecialPurposeAddresses(_ address: String) {
        #expect(!strict.allows(address: address))
        #expect(DestinationPolicy(allowPrivate: true).allows(address: address))
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2a01:4f8::1"])
    func allowsPublicAddresses(_ address: String) {
        #expect(strict.allows(address: address))
    }

    @Test(arguments: ["example.org", "", "1.2.3", "1.2.3.256", "::g", "1::2::3", "1:2:3:4:5:6:7:8:9"])
    func refusesNonAddresses(_ text: String) {
        #expect(!strict.allows(address: text))
    }
}
