import CVips
import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Sodium
import Testing

let mediaBase = "/_matrix/media/v3"
let authedMedia = "/_matrix/client/v1/media"

/// What a media request answered: status, headers, raw body.
struct MediaReply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let bytes: [UInt8]
    var json: JSONObject { (try? JSONParser.parseObject(bytes)) ?? [:] }
}

extension TestClientProtocol {
    func media(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, contentType: String? = nil,
               body: [UInt8]? = nil, headers extra: HTTPFields = [:]) async throws -> MediaReply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let contentType { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }) {
            MediaReply(status: $0.status, headers: $0.headers, bytes: Array($0.body.readableBytesView))
        }
    }

    /// Uploads and returns the media ID of the `content_uri` (records an issue when refused).
    func uploadMedia(_ bytes: [UInt8], token: String, contentType: String? = "application/octet-stream",
                     filename: String? = nil) async throws -> String {
        let query = filename.map { "?filename=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""
        let reply = try await media(.post, "\(mediaBase)/upload\(query)", token: token, contentType: contentType, body: bytes)
        #expect(reply.status == .ok, "upload refused: \(String(decoding: reply.bytes, as: UTF8.self))")
        let uri = reply.json["content_uri"]?.stringValue ?? ""
        #expect(uri.hasPrefix("mxc://localhost/") || uri.hasPrefix("mxc://a.test/"))
        return String(uri.split(separator: "/").last ?? "")
    }
}

/// Started once: each start briefly blocks every image loader, which would fail a decode
/// running at that moment in a concurrent test.
private let vipsStarted = apus_vips_start() == 0

/// A synthetic gradient image made with libvips, encoded by `suffix` (".png", ".jpg"…).
func testImage(width: Int, height: Int, suffix: String) -> [UInt8] {
    precondition(vipsStarted)
    var buffer: UnsafeMutableRawPointer?
    var length = 0
    guard apus_vips_test_image(Int32(width), Int32(height), suffix, &buffer, &length) == 0, let buffer else {
        Issue.record("libvips could not make a \(suffix) test image")
        return []
    }
    defer { apus_vips_free(buffer) }
    return Array(UnsafeRawBufferPointer(start: buffer, count: length))
}

/// The dimensions libvips reads from encoded image bytes (nil when not an image).
func imageDimensions(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("apus-dim-\(UUID().uuidString)").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var width: Int32 = 0, height: Int32 = 0
    guard apus_vips_dimensions(path, &width, &height) == 0 else { return nil }
    return (Int(width), Int(height))
}

/// Every regular file under `directory` (the media store's content files and leftovers).
func filesUnder(_ directory: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    return walker.compactMap { $0 as? String }.filter { path in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: "\(directory)/\(path)", isDirectory: &isDirectory) && !isDirectory.boolValue
    }.sorted()
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(bytes).map { String(format: "%02x", $0) }.joined()
}

/// The parts of a `multipart/mixed` body: headers (lowercased names) and bytes of each.
func multipartParts(_ body: [UInt8], contentType: String?) -> [(headers: [String: String], body: [UInt8])] {
    guard let contentType, let range = contentType.range(of: "boundary=") else { return [] }
    let boundary = Array("--\(contentType[range.upperBound...])".utf8)
    var parts: [(headers: [String: String], body: [UInt8])] = []
    var starts: [Int] = []
    var i = 0
    while i + boundary.count <= body.count {
        if Array(body[i..<i + boundary.count]) == boundary { starts.append(i); i += boundary.count } else { i += 1 }
    }
    for (n, start) in starts.dropLast().enumerated() {
        var partStart = start + boundary.count + 2  // CRLF after the delimiter
        let partEnd = starts[n + 1] - 2             // CRLF before the next delimiter
        var headers: [String: String] = [:]
        while partStart < partEnd {
            guard let lineEnd = (partStart..<partEnd - 1).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else { break }
            let line = String(decoding: body[partStart..<lineEnd], as: UTF8.self)
            partStart = lineEnd + 2
            if line.isEmpty { break }
            let kv = line.split(separator: ":", maxSplits: 1)
            headers[kv[0].lowercased()] = kv.count > 1 ? kv[1].trimmingCharacters(in: .whitespaces) : ""
        }
        parts.append((headers, Array(body[partStart..<max(partStart, partEnd)])))
    }
    return parts
}
