import MatrixProtocol

/// Other servers' media through `GET /_matrix/federation/v1/media/download/{mediaId}`.
extension Federation: RemoteMediaFetcher {
    public func fetchMedia(origin: ServerName, mediaID: String, maxSize: Int) async throws -> FetchedMedia {
        let answer: (contentType: String?, body: [UInt8])
        do {
            answer = try await transport.bytes(to: origin, path: "/_matrix/federation/v1/media/download/\(pathSegment(mediaID))")
        } catch let error as RemoteError {
            throw error.status == 404 ? MatrixError.notFound("Media not found on \(origin)")
                : MatrixError("M_UNKNOWN", "\(origin) answered \(error)", status: 502)
        } catch let error as MatrixError {
            throw error
        } catch {
            throw MatrixError("M_UNKNOWN", "Cannot reach \(origin): \(error)", status: 502)
        }
        guard answer.body.count <= maxSize + 64 * 1024 else { throw MatrixError("M_TOO_LARGE", "Remote media is too large", status: 502) }
        guard let parts = Multipart.parse(contentType: answer.contentType, body: answer.body), parts.count >= 2 else {
            throw MatrixError("M_UNKNOWN", "\(origin) did not answer with multipart media", status: 502)
        }
        let content = parts[1]
        guard content.headers["location"] == nil else {
            throw MatrixError("M_UNKNOWN", "\(origin) redirects media elsewhere, which is not followed yet", status: 502)
        }
        guard content.body.count <= maxSize else { throw MatrixError("M_TOO_LARGE", "Remote media is too large", status: 502) }
        var filename: String?
        if let disposition = content.headers["content-disposition"], let range = disposition.range(of: "filename=") {
            filename = disposition[range.upperBound...].split(separator: ";").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
        }
        return FetchedMedia(contentType: content.headers["content-type"], filename: filename, bytes: content.body)
    }
}

import Foundation
