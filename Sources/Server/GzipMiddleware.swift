import Foundation
import APICore
import CZlib
import Hummingbird

/// Gzips JSON responses above `threshold` bytes when the client accepts it. Small bodies are
/// left alone: compressing them costs more than it saves.
struct GzipMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext
    var threshold = 4096

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // The size first: most answers are small, and reading Accept-Encoding costs more than that.
        guard let length = response.headers[.contentLength].flatMap({ Int($0) }), length > threshold,
              request.method != .head,
              response.headers[.contentEncoding] == nil,
              // Media (which always carries a disposition) streams as stored, even JSON files.
              response.headers[.contentDisposition] == nil,
              response.headers[.contentType]?.hasPrefix("application/json") == true,
              Self.acceptsGzip(request.headers[values: .acceptEncoding])
        else { return response }
        let collector = BodyCollector()
        try await response.body.write(collector)
        guard let compressed = Gzip.compress(collector.buffer.readableBytesView) else { return response }
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = String(compressed.count)
        response.addVary("Accept-Encoding")
        response.body = ResponseBody(byteBuffer: ByteBuffer(bytes: compressed))
        return response
    }

    static func acceptsGzip(_ values: [String]) -> Bool {
        values.joined(separator: ",").split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first?.lowercased() == "gzip" else { return false }
            return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }
}

/// Gathers a response body written in pieces.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var buffer = ByteBuffer()
    func write(_ buffer: ByteBuffer) async throws {
        var b = buffer
        self.buffer.writeBuffer(&b)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// One-shot gzip (RFC 1952) through the system zlib.
enum Gzip {
    static func compress<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8]? {
        var source = Array(input)
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper.
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(source.count))) + 32)
        let status: Int32 = source.withUnsafeMutableBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                stream.next_in = src.baseAddress
                stream.avail_in = UInt32(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = UInt32(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return Array(output.prefix(Int(stream.total_out)))
    }
}

extension Gzip {
    /// Inflates a gzip stream (tests, and later federation/media bodies); nil when corrupt.
    static func decompress<Bytes: Collection<UInt8>>(_ input: Bytes, limit: Int = 64 << 20) -> [UInt8]? {
        var source = Array(input)
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return source.withUnsafeMutableBufferPointer { src -> [UInt8]? in
            stream.next_in = src.baseAddress
            stream.avail_in = UInt32(src.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = UInt32(dst.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                result.append(contentsOf: chunk.prefix(produced))
                if result.count > limit { return nil }
                if status == Z_STREAM_END { return result }
                if status != Z_OK { return nil }
            }
        }
    }
}
