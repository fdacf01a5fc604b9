import MatrixProtocol

/// A remote server's media, as fetched over federation.
public struct FetchedMedia: Sendable {
    public let contentType: String?
    public let filename: String?
    public let bytes: [UInt8]
}

/// Where the media repository gets other servers' media (federation sets it).
public protocol RemoteMediaFetcher: Sendable {
    func fetchMedia(origin: ServerName, mediaID: String, maxSize: Int) async throws -> FetchedMedia
}

/// `multipart/mixed` as the federation media endpoints answer: a JSON part, then the content.
enum Multipart {
    /// The parts' headers (lowercased names) and bodies; nil when the body is not multipart.
    static func parse(contentType: String?, body: [UInt8]) -> [(headers: [String: String], body: [UInt8])]? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/"),
              let boundaryParam = contentType.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.lowercased().hasPrefix("boundary=") }) else { return nil }
        var boundary = String(boundaryParam.dropFirst("boundary=".count))
        if boundary.hasPrefix("\""), boundary.hasSuffix("\""), boundary.count >= 2 { boundary = String(boundary.dropFirst().dropLast()) }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [(headers: [String: String], body: [UInt8])] = []
        var positions: [Int] = []
        var i = 0
        while i + delimiter.count <= body.count {
            if body[i] == delimiter[0], Array(body[i..<i + delimiter.count]) == delimiter, i == 0 || (i >= 2 && body[i - 2] == 13 && body[i - 1] == 10) {
                positions.append(i)
                i += delimiter.count
            } else {
                i += 1
            }
        }
        for (n, start) in positions.enumerated() where n + 1 < positions.count {
            var partStart = start + delimiter.count
            guard partStart + 1 < body.count, !(body[partStart] == 45 && body[partStart + 1] == 45) else { break }  // "--": the end
            if body[partStart] == 13 { partStart += 2 }
            let partEnd = positions[n + 1] - 2  // before the CRLF preceding the next delimiter
            guard partEnd >= partStart else { continue }
            let part = Array(body[partStart..<partEnd])
            guard let split = headerEnd(part) else { continue }
            var headers: [String: String] = [:]
            for line in String(decoding: part[..<split], as: UTF8.self).split(separator: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            parts.append((headers, Array(part[(split + 4)...])))
        }
        return parts
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        if bytes.starts(with: [13, 10]) { return -2 }  // no headers
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
        return nil
    }
}

import Foundation
