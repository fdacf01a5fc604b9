@testable import Outbound
import Testing

@Suite struct IPAddressTests {
    @Test func parsesIPv4Strictly() {
        #expect(IPAddress("127.0.0.1")?.bytes == [127, 0, 0, 1])
        #expect(IPAddress("255.255.255.255")?.bytes == [255, 255, 255, 255])
        for bad in ["256.0.0.1", "1.2.3", "1.2.3.4.5", "0177.0.0.1", "127.1", "1.2.3.-4", " 1.2.3.4", "1.2.3.4/8", ""] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func parsesIPv6() {
        #expect(IPAddress("::1")?.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(IPAddress("[::1]")?.description == "::1")
        #expect(IPAddress("fe80::1%eth0")?.description == "fe80::1")
        #expect(IPAddress("2001:DB8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::ffff:10.0.0.1")?.mappedIPv4 == IPAddress("10.0.0.1"))
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        for bad in ["1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g", ":", "1:2:3:4:5:6:7::8:9"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func rangesMaskHostBits() {
        let range = IPRange("10.1.2.3/8")
        #expect(range?.description == "10.0.0.0/8")
        #expect(range?.contains(IPAddress("10.255.0.1")!) == true)
        #expect(range?.contains(IPAddress("11.0.0.1")!) == false)
        #expect(range?.contains(IPAddress("::ffff:10.0.0.1")!) == false)  // families never mix; the policy unmaps
        #expect(IPRange("fc00::/7")?.contains(IPAddress("fdab::1")!) == true)
        #expect(IPRange("127.0.0.1")?.prefixLength == 32)
        #expect(IPRange("::/0")?.contains(IPAddress("2a00::1")!) == true)
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "example.org/8", "10.0.0.0/8/8"] {
            #expect(IPRange(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct AddressPolicyTests {
    let policy = AddressPolicy()

    @Test func refusesSpecialPurposeIPv4() {
        for address in ["127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255",
                        "192.0.2.10", "198.18.0.1", "203.0.113.5"] {
            #expect(!policy.allows(IPAddress(address)!), "\(address)")
        }
        for address in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "93.184.216.34"] {
            #expect(policy.allows(IPAddress(address)!), "\(address)")
        }
    }

    @Test func refusesSpecialPurposeIPv6() {
        for address in ["::1", "::", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "::127.0.0.1", "fec0::1"] {
            #expect(!policy.allows(IPAddress(address)!), "\(address)")
        }
        for address in ["2a00:1450:4001::200e", "2606:4700::1111"] {
            #expect(policy.allows(IPAddress(address)!), "\(address)")
        }
    }

    @Test func judgesMappedAndTranslatedIPv4() {
        #expect(!policy.allows(IPAddress("::ffff:127.0.0.1")!))
        #expect(!policy.allows(IPAddress("::ffff:7f00:1")!))
        #expect(!policy.allows(IPAddress("::ffff:192.168.0.1")!))
        #expect(policy.allows(IPAddress("::ffff:8.8.8.8")!))
        #expect(!policy.allows(IPAddress("64:ff9b::10.0.0.1")!))       // NAT64 to a private address
        #expect(policy.allows(IPAddress("64:ff9b::8.8.8.8")!))
        #expect(!policy.allows(IPAddress("2002:7f00:1::")!))           // 6to4 of 127.0.0.1
        #expect(policy.allows(IPAddress("2002:0808:0808::1")!))
    }

    @Test func allowListWinsAndExtraBlocksAdd() {
        let custom = AddressPolicy(extraBlocked: [IPRange("8.8.8.0/24")!, IPRange("2a00::/16")!], allowed: [IPRange("127.0.0.1/32")!])
        #expect(custom.allows(IPAddress("127.0.0.1")!))
        #expect(custom.allows(IPAddress("::ffff:127.0.0.1")!))  // mapped: judged as IPv4
        #expect(!custom.allows(IPAddress("127.0.0.2")!))
        #expect(!custom.allows(IPAddress("::1")!))
        #expect(!custom.allows(IPAddress("8.8.8.8")!))
        #expect(!custom.allows(IPAddress("2a00::1")!))
        #expect(custom.allows(IPAddress("8.8.4.4")!))
    }
}
