import Foundation
import Hummingbird
import NIOCore

/// How media bytes are served: streamed from a file-backed async sequence, with the headers the
/// spec recommends so that a browser never runs uploaded content as part of a page.
public enum MediaResponse {
    /// Content types a browser may show inline: the spec's list ("Serving inline content").
    /// Anything else — HTML, SVG, XML, JavaScript, PDF… — is an attachment.
    public static let inlineContentTypes: Set<String> = [
        "text/css", "text/plain", "text/csv", "application/json", "application/ld+json",
        "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
        "video/mp4", "video/webm", "video/ogg", "video/quicktime",
        "audio/mp4", "audio/webm", "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav", "audio/x-wav",
        "audio/x-pn-wav", "audio/flac", "audio/x-flac",
    ]

    public static let contentSecurityPolicy =
        "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';"

    /// A 200 streaming `body` (`contentLength` bytes) with the media headers.
    public static func file<Body: AsyncSequence & Sendable>(_ body: Body, contentLength: Int, contentType: String,
                                                            disposition: String) -> Response where Body.Element == ByteBuffer {
        var headers = securityHeaders()
        headers[.contentType] = contentType
        headers[.contentDisposition] = disposition
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: contentLength) { writer in
            for try await chunk in body { try await writer.write(chunk) }
            try await writer.finish(nil)
        })
    }

    /// `multipart/mixed` with two parts, as `/_matrix/federation/v1/media/*` answers: the JSON
    /// metadata (`{}`), then the content with its own type and disposition.
    public static func multipart<Body: AsyncSequence & Sendable>(_ body: Body, contentLength: Int, contentType: String,
                                                                 disposition: String, boundary: String) -> Response
    where Body.Element == ByteBuffer {
        let head = ByteBuffer(string: "--\(boundary)\r\nContent-Type: application/json\r\n\r\n{}\r\n"
            + "--\(boundary)\r\nContent-Type: \(contentType)\r\nContent-Disposition: \(disposition)\r\n\r\n")
        let tail = ByteBuffer(string: "\r\n--\(boundary)--\r\n")
        var headers = securityHeaders()
        headers[.contentType] = "multipart/mixed; boundary=\(boundary)"
        let length = head.readableBytes + contentLength + tail.readableBytes
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: length) { writer in
            try await writer.write(head)
            for try await chunk in body { try await writer.write(chunk) }
            try await writer.write(tail)
            try await writer.finish(nil)
        })
    }

    /// `inline` or `attachment` by content type, with the file name encoded per RFC 6266: a
    /// quoted `filename` only when the name is plain ASCII that needs no escaping, otherwise
    /// `filename*=utf-8''` with every other byte percent-encoded, so no name can end the
    /// header or inject a parameter.
    public static func contentDisposition(contentType: String, filename: String?) -> String {
        let essence = contentType.split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var value = inlineContentTypes.contains(essence) ? "inline" : "attachment"
        guard let filename, !filename.isEmpty else { return value }
        if filename.utf8.allSatisfy(isPlainFilenameByte) {
            value += "; filename=\"\(filename)\""
        } else {
            value += "; filename*=utf-8''" + percentEncoded(filename)
        }
        return value
    }

    static func securityHeaders() -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.crossOriginResourcePolicy] = "cross-origin"
        headers[.xContentTypeOptions] = "nosniff"
        return headers
    }

    /// Printable ASCII other than `"`, `\`, `%` and `;`.
    static func isPlainFilenameByte(_ b: UInt8) -> Bool {
        b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") && b != UInt8(ascii: "%")
            && b != UInt8(ascii: ";")
    }

    /// RFC 5987 `value-chars`: `attr-char` kept, every other UTF-8 byte as `%XX`.
    static func percentEncoded(_ s: String) -> String {
        let attrChars = Set("!#$&+-.^_`|~".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for b in s.utf8 {
            let alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            if alnum || attrChars.contains(b) {
                out.append(b)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
