import Testing
@testable import FederationClient

@Suite struct SRVRecordTests {
    /// A response for `_matrix-fed._tcp.example.org` with two SRV answers, the second target
    /// compressed with a pointer into the first.
    static let message: [UInt8] = {
        func name(_ labels: [String]) -> [UInt8] { labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0] }
        var m: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        m += name(["_matrix-fed", "_tcp", "example", "org"]) + [0, 33, 0, 1]
        // Answer 1: name pointer to the question (offset 12), SRV, IN, TTL 300.
        let target1 = name(["hs1", "example", "org"])
        m += [0xc0, 12, 0, 33, 0, 1, 0, 0, 0x01, 0x2c, 0, UInt8(6 + target1.count)]
        m += [0, 10, 0, 5, 0x20, 0xf8] + target1  // priority 10, weight 5, port 8440
        let target1Offset = m.count - target1.count
        // Answer 2: "hs2" + pointer to "example.org" inside target 1, TTL 60.
        let target2: [UInt8] = [3] + Array("hs2".utf8) + [0xc0, UInt8(target1Offset + 4)]
        m += [0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, UInt8(6 + target2.count)]
        m += [0, 5, 0, 0, 0x21, 0x18] + target2  // priority 5, weight 0, port 8472
        return m
    }()

    @Test func parsesAnswersWithCompressedNames() throws {
        let records = try DNSMessageParser(bytes: Self.message).srvRecords()
        #expect(records == [SRVRecord(priority: 10, weight: 5, port: 8440, target: "hs1.example.org", ttl: .seconds(300)),
                            SRVRecord(priority: 5, weight: 0, port: 8472, target: "hs2.example.org", ttl: .seconds(60))])
    }

    @Test func errorsAndTruncationYieldNoRecords() {
        var nxdomain = Self.message
        nxdomain[3] = 0x83
        #expect((try? DNSMessageParser(bytes: nxdomain).srvRecords()) == [])
        #expect((try? DNSMessageParser(bytes: Array(Self.message.prefix(40))).srvRecords()) == nil)
        #expect((try? DNSMessageParser(bytes: [1, 2, 3]).srvRecords()) == nil)
    }

    @Test func orderedByPriorityThenWeight() {
        let records = [SRVRecord(priority: 20, weight: 0, port: 1, target: "c"), SRVRecord(priority: 10, weight: 0, port: 1, target: "a"),
                       SRVRecord(priority: 10, weight: 100, port: 1, target: "b"), SRVRecord(priority: 1, weight: 0, port: 1, target: "")]
        for _ in 0..<20 {
            let ordered = SRVRecord.ordered(records).map(\.target)
            #expect(Set(ordered.prefix(2)) == ["a", "b"])
            #expect(ordered.last == "c")
            #expect(ordered.count == 3)  // the "." target means "no service"
        }
        var heavierFirst = 0
        for _ in 0..<200 where SRVRecord.ordered(records).first?.target == "b" { heavierFirst += 1 }
        #expect(heavierFirst > 150)
    }
}
