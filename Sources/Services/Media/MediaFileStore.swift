import Foundation
import MatrixProtocol
import NIOCore
import NIOPosix
import Sodium
import Synchronization

/// Media bytes on disk, content-addressed by SHA-256: `<root>/ab/cd/<sha256 hex>`. Identical
/// uploads share one file, and a file's name says what it must contain.
///
/// Content streams into a temporary file under `<root>/tmp` (same file system, so the final
/// `rename` is atomic), is fsync'd, then renamed into place and its directory fsync'd: a
/// half-written upload is never visible under its hash. Callers record metadata only after
/// `store` returns. Blocking file calls run on NIO's thread pool, off the async executor.
public struct MediaFileStore: Sendable {
    /// What was stored.
    public struct StoredFile: Sendable, Equatable {
        public let sha256: String
        public let size: Int
    }

    public let root: String
    let threadPool: NIOThreadPool
    /// Bytes gathered before one `write(2)`: few thread hops, bounded memory per upload.
    static let flushSize = 256 * 1024

    public init(root: String, threadPool: NIOThreadPool = .singleton) {
        self.root = root
        self.threadPool = threadPool
    }

    public var temporaryDirectory: String { root + "/tmp" }

    /// The file of some content; `sha256` must be 64 lowercase hex digits (our own hashes only).
    public func path(forSHA256 sha256: String) -> String {
        precondition(sha256.utf8.count == 64 && sha256.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) },
                     "not a SHA-256 hex digest")
        return "\(root)/\(sha256.prefix(2))/\(sha256.dropFirst(2).prefix(2))/\(sha256)"
    }

    /// Creates the directories and removes temporary files a crash left behind.
    public func prepare() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: temporaryDirectory) {
            try? fm.removeItem(atPath: "\(temporaryDirectory)/\(name)")
        }
    }

    /// Streams `body` to disk, refusing (`M_TOO_LARGE`, nothing kept) past `limit` bytes.
    public func store<Body: AsyncSequence>(_ body: Body, limit: Int) async throws -> StoredFile where Body.Element == ByteBuffer {
        let directory = temporaryDirectory
        let file = try await threadPool.runIfActive { try TemporaryFile(in: directory) }
        do {
            let hasher = SHA256.Stream()
            var size = 0
            var pending = ByteBuffer()
            for try await var chunk in body {
                size += chunk.readableBytes
                guard size <= limit else { throw MatrixError.tooLarge("Upload is larger than the limit of \(limit) bytes") }
                chunk.withUnsafeReadableBytes { hasher.update($0) }
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= Self.flushSize {
                    let full = pending
                    pending = ByteBuffer()
                    try await threadPool.runIfActive { try file.write(full) }
                }
            }
            let rest = pending
            let sha256 = Self.hex(hasher.finalize())
            let destination = path(forSHA256: sha256)
            try await threadPool.runIfActive {
                try file.write(rest)
                try file.commit(to: destination)
            }
            return StoredFile(sha256: sha256, size: size)
        } catch {
            // Also on cancellation (client gone): the temporary file goes, nothing else was touched.
            do { try await threadPool.runIfActive { file.discard() } } catch { file.discard() }
            throw error
        }
    }

    /// Stores bytes already in memory (thumbnails, which are small).
    public func store(bytes: [UInt8]) async throws -> StoredFile {
        try await store(SingleBuffer(buffer: ByteBuffer(bytes: bytes)), limit: .max)
    }

    /// Whether the content's file is present.
    public func contains(sha256: String) -> Bool {
        FileManager.default.fileExists(atPath: path(forSHA256: sha256))
    }

    /// The file's bytes in chunks, read off the async executor.
    public func reader(sha256: String) -> MediaFileReader {
        MediaFileReader(path: path(forSHA256: sha256), threadPool: threadPool)
    }

    /// The first bytes of a stored file (format sniffing).
    public func prefix(sha256: String, count: Int) async throws -> [UInt8] {
        let path = path(forSHA256: sha256)
        return try await threadPool.runIfActive {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw MatrixError.notFound("Media file missing") }
            defer { try? handle.close() }
            return Array(try handle.read(upToCount: count) ?? Data())
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A one-element body.
private struct SingleBuffer: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async throws -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

/// A file being written under the temporary directory, then either committed under its final
/// name or discarded. Its calls block: run them on a thread pool.
final class TemporaryFile: Sendable {
    let path: String
    /// -1 once closed: a descriptor is closed exactly once, never after its number was reused.
    private let descriptor: Mutex<Int32>

    init(in directory: String) throws {
        let path = "\(directory)/upload-\(SecureRandom.alphanumeric(16))"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw MediaFileError.system("open \(path)", errno) }
        self.path = path
        descriptor = Mutex(fd)
    }

    private func closeOnce() {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    func write(_ buffer: ByteBuffer) throws {
        let descriptor = self.descriptor.withLock { $0 }
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = posixWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw MediaFileError.system("write \(path)", errno)
                }
                offset += n
            }
        }
    }

    /// fsync, close, rename to `destination` (or drop this copy when the content is already
    /// there), then fsync the directory so the rename itself survives a crash.
    func commit(to destination: String) throws {
        let descriptor = self.descriptor.withLock { $0 }
        guard fsync(descriptor) == 0 else { throw MediaFileError.system("fsync \(path)", errno) }
        closeOnce()
        let directory = (destination as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: destination) {
            unlink(path)
            return
        }
        guard rename(path, destination) == 0 else {
            let code = errno
            unlink(path)
            throw MediaFileError.system("rename to \(destination)", code)
        }
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    /// Closes and removes the file; safe to call more than once.
    func discard() {
        closeOnce()
        unlink(path)
    }
}

/// `write(2)`, named apart from `TemporaryFile.write`, which would shadow it.
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

enum MediaFileError: Error, CustomStringConvertible {
    case system(String, Int32)
    var description: String {
        switch self {
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        }
    }
}
