import Foundation
import NIOCore
import NIOPosix

/// A stored file as a sequence of chunks, each read on the thread pool when the consumer asks
/// for it: a download holds one chunk in memory, however large the file.
public struct MediaFileReader: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    public let path: String
    let threadPool: NIOThreadPool
    let chunkSize: Int

    init(path: String, threadPool: NIOThreadPool, chunkSize: Int = 128 * 1024) {
        self.path = path
        self.threadPool = threadPool
        self.chunkSize = chunkSize
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(cursor: Cursor(path: path, threadPool: threadPool, chunkSize: chunkSize))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let cursor: Cursor
        public mutating func next() async throws -> ByteBuffer? { try await cursor.next() }
    }

    /// Owns the descriptor; closes it at the end, or when an abandoned download drops it.
    public final class Cursor: @unchecked Sendable {
        // One consumer at a time (an iterator is not shared), so plain state is enough.
        private let path: String
        private let threadPool: NIOThreadPool
        private let chunkSize: Int
        private var descriptor: Int32 = -1
        private var finished = false

        init(path: String, threadPool: NIOThreadPool, chunkSize: Int) {
            self.path = path
            self.threadPool = threadPool
            self.chunkSize = chunkSize
        }

        deinit { if descriptor >= 0 { close(descriptor) } }

        func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            if descriptor < 0 {
                let path = self.path
                descriptor = try await threadPool.runIfActive {
                    let fd = open(path, O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { throw MediaFileError.system("open \(path)", errno) }
                    return fd
                }
            }
            let fd = descriptor, size = chunkSize
            let chunk = try await threadPool.runIfActive { () throws -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: size)
                let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { bytes in
                    while true {
                        let n = read(fd, bytes.baseAddress, size)
                        if n >= 0 { return n }
                        if errno != EINTR { throw MediaFileError.system("read", errno) }
                    }
                }
                return n == 0 ? ByteBuffer() : buffer
            }
            if chunk.readableBytes == 0 {
                finished = true
                close(descriptor)
                descriptor = -1
                return nil
            }
            return chunk
        }
    }
}
