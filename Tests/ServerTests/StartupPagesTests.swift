import Foundation
import MatrixProtocol
@testable import Server
import Testing

@Suite struct StartupPagesTests {
    static let sample = """
        55d0c0000000-55d0c2000000 r-xp 00000000 fe:00 123 /usr/bin/apus
        Size:              32768 kB
        Rss:                9000 kB
        Anonymous:             0 kB
        55d0c2000000-55d0c2100000 r--p 02000000 fe:00 123 /usr/bin/apus
        Size:               1024 kB
        Rss:                 800 kB
        Anonymous:           400 kB
        55d0c2100000-55d0c2400000 rw-p 02100000 fe:00 123 /usr/bin/apus
        Rss:                3000 kB
        Anonymous:             0 kB
        7f0000000000-7f0000300000 rw-p 00000000 00:00 0
        Rss:                3000 kB
        Anonymous:          3000 kB
        7f0000400000-7f0000500000 r--s 00000000 fe:00 77 /var/lib/apus/db.sqlite3-shm
        Rss:                  64 kB
        Anonymous:             0 kB
        7f0000600000-7f0000700000 r--p 00000000 fe:00 88 /usr/lib/x86_64-linux-gnu/lib with space.so
        Rss:                 128 kB
        Anonymous:             0 kB
        7f0000800000-7f0000900000 r-xp 00000000 fe:00 89 /usr/lib/x86_64-linux-gnu/libcold.so
        Rss:                   0 kB
        Anonymous:             0 kB
        7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        """

    @Test func onlyCleanReadOnlyPrivateFileMappingsAreReleasable() {
        let mappings = StartupPages.releasable(smaps: Self.sample)
        #expect(mappings == [
            StartupPages.Mapping(start: 0x55d0_c000_0000, end: 0x55d0_c200_0000, residentKiB: 9000),
            StartupPages.Mapping(start: 0x7f00_0060_0000, end: 0x7f00_0070_0000, residentKiB: 128),
        ])
    }

    @Test func releasingLowersResidentCodeAndTheProcessRunsOn() throws {
        func resident() throws -> Int {
            StartupPages.releasable(smaps: try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)).reduce(0) { $0 + $1.residentKiB }
        }
        let before = try resident()
        let released = StartupPages.release()
        #expect(released > 0)
        #expect(try resident() < before)
        // Code and constants come back from the page cache on their next use.
        #expect(try CanonicalJSON.canonicalize(#"{"b":1,"a":[true,null,"x"]}"#) == #"{"a":[true,null,"x"],"b":1}"#)
    }
}
