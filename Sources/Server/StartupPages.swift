import Foundation

/// Gives back the memory start-up touched and serving will not: the code and read-only data of
/// the binary and its libraries that opening the database, migrating and building the routes
/// ran through.
///
/// The kernel maps file pages in blocks around each one touched (64 KiB, or a whole large folio
/// of the page cache), so start-up leaves most of a large static binary's code resident.
/// Unmapping clean, read-only, private file pages (`MADV_DONTNEED`) only drops them from this
/// process's page tables: they stay in the page cache, and whatever runs next maps them again
/// on its first touch. Mappings holding any private (written) page are left alone: dropping
/// those would lose the writes (relocations).
public enum StartupPages {
    /// One mapping of `/proc/self/smaps` that can be released.
    struct Mapping: Equatable {
        var start: UInt
        var end: UInt
        var residentKiB: Int
    }

    /// Releases them; answers the KiB of mappings released.
    @discardableResult
    public static func release() -> Int {
        guard let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8) else { return 0 }
        var released = 0
        for mapping in releasable(smaps: smaps) {
            guard let base = UnsafeMutableRawPointer(bitPattern: mapping.start),
                  madvise(base, Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 else { continue }
            released += mapping.residentKiB
        }
        return released
    }

    /// The mappings of `smaps` whose resident pages are all clean file pages: private, not
    /// writable, backed by a file, with no anonymous (copied-on-write) page.
    static func releasable(smaps: String) -> [Mapping] {
        var result: [Mapping] = []
        var current: Mapping?
        var eligible = false
        var anonymous = 0
        func finish() {
            if let current, eligible, anonymous == 0, current.residentKiB > 0 { result.append(current) }
        }
        for line in smaps.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {
                guard fields.count >= 2, let kib = Int(fields[1]) else { continue }
                if first == "Rss:" { current?.residentKiB = kib }
                if first == "Anonymous:" { anonymous = kib }
                continue
            }
            // A mapping's header: "start-end perms offset dev inode [path]".
            let range = first.split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16), fields.count >= 5 else {
                continue
            }
            finish()
            current = Mapping(start: start, end: end, residentKiB: 0)
            anonymous = 0
            let perms = fields[1]
            eligible = perms.hasPrefix("r") && !perms.contains("w") && perms.hasSuffix("p")
                && fields.count >= 6 && fields[5].hasPrefix("/")
        }
        finish()
        return result
    }
}
