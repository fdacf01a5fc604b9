/// One DNS SRV record (RFC 2782).
public struct SRVRecord: Sendable, Equatable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: Int
    /// The target host, without the trailing dot.
    public var target: String
    public var ttl: Duration

    public init(priority: UInt16, weight: UInt16, port: Int, target: String, ttl: Duration = .seconds(3600)) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
        self.ttl = ttl
    }

    /// The order to try records in: by priority, and within one priority a weighted random
    /// order (RFC 2782). A lone "." target means the service is not offered: no records.
    static func ordered<R: RandomNumberGenerator>(_ records: [SRVRecord], using rng: inout R) -> [SRVRecord] {
        let usable = records.filter { !$0.target.isEmpty && $0.target != "." }
        var out: [SRVRecord] = []
        for priority in Set(usable.map(\.priority)).sorted() {
            var group = usable.filter { $0.priority == priority }
            while !group.isEmpty {
                let total = group.reduce(0) { $0 + Int($1.weight) }
                var pick = total > 0 ? Int.random(in: 0..<total, using: &rng) : 0
                var index = 0
                if total > 0 {
                    while pick >= Int(group[index].weight) { pick -= Int(group[index].weight); index += 1 }
                }
                out.append(group.remove(at: index))
            }
        }
        return out
    }

    static func ordered(_ records: [SRVRecord]) -> [SRVRecord] {
        var rng = SystemRandomNumberGenerator()
        return ordered(records, using: &rng)
    }
}

/// Reads the SRV answers of a DNS response message (RFC 1035 section 4), following name
/// compression pointers.
struct DNSMessageParser {
    enum Failure: Error { case malformed }

    let bytes: [UInt8]

    func srvRecords() throws(Failure) -> [SRVRecord] {
        guard bytes.count >= 12 else { throw .malformed }
        guard bytes[3] & 0x0f == 0 else { return [] }  // RCODE: NXDOMAIN and friends carry no records
        let questions = Int(u16(4)), answers = Int(u16(6))
        var offset = 12
        for _ in 0..<questions {
            offset = try skipName(at: offset) + 4
        }
        var records: [SRVRecord] = []
        for _ in 0..<answers {
            offset = try skipName(at: offset)
            guard offset + 10 <= bytes.count else { throw .malformed }
            let type = u16(offset), ttl = UInt32(u16(offset + 4)) << 16 | UInt32(u16(offset + 6))
            let length = Int(u16(offset + 8))
            let data = offset + 10
            guard data + length <= bytes.count else { throw .malformed }
            if type == 33 {
                guard length >= 7 else { throw .malformed }
                let target = try name(at: data + 6)
                records.append(SRVRecord(priority: u16(data), weight: u16(data + 2), port: Int(u16(data + 4)),
                                         target: target, ttl: .seconds(Int64(ttl))))
            }
            offset = data + length
        }
        return records
    }

    private func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }

    /// The offset just after the name that starts at `offset`.
    private func skipName(at offset: Int) throws(Failure) -> Int {
        var at = offset
        while true {
            guard at < bytes.count else { throw .malformed }
            let length = Int(bytes[at])
            if length == 0 { return at + 1 }
            if length & 0xc0 == 0xc0 { return at + 2 }
            at += length + 1
        }
    }

    /// The dotted name at `offset` ("" for the root), without the trailing dot.
    private func name(at offset: Int) throws(Failure) -> String {
        var labels: [String] = []
        var at = offset
        var jumps = 0
        while true {
            guard at < bytes.count else { throw .malformed }
            let length = Int(bytes[at])
            if length == 0 { break }
            if length & 0xc0 == 0xc0 {
                guard at + 1 < bytes.count, jumps < 32 else { throw .malformed }
                jumps += 1
                at = (length & 0x3f) << 8 | Int(bytes[at + 1])
                continue
            }
            guard length < 64, at + 1 + length <= bytes.count else { throw .malformed }
            labels.append(String(decoding: bytes[(at + 1)..<(at + 1 + length)], as: UTF8.self))
            at += length + 1
        }
        return labels.joined(separator: ".")
    }
}
