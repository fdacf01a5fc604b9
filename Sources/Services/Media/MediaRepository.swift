import ApusConfig
import Foundation
import Logging
import Synchronization
import MatrixProtocol
import NIOCore
import Sodium
import Store

/// Content to serve: its metadata and its bytes as a stream.
public struct MediaContent: Sendable {
    public let contentType: String
    /// The uploader's file name, if it gave one.
    public let filename: String?
    public let size: Int
    public let body: MediaFileReader
}

/// The media repository: uploads (direct, and `/create` then `PUT`), downloads and thumbnails
/// of local media, and the hook for remote media. Files are written before their rows
/// (`MediaFileStore`), so a row always names content that is on disk.
public final class MediaRepository: Sendable {
    /// A `/create`d ID must be filled within this (the spec's recommended 24 hours).
    public static let pendingLifetimeMillis: Int64 = 24 * 3600 * 1000
    /// Unexpired `/create`d IDs one user may hold.
    public static let maxPendingUploads = 10
    /// Longest a download waits for a pending upload, whatever `timeout_ms` asks.
    public static let maxWaitMillis = 60_000
    public static let defaultWaitMillis = 20_000

    public let files: MediaFileStore
    private let database: Database
    private let clock: Clock
    private let serverName: ServerName
    private let settings: ApusConfiguration.Media
    private let thumbnailer: Thumbnailer
    private let signals = UploadSignals()
    private let fetcher = Mutex<(any RemoteMediaFetcher)?>(nil)

    /// Federation's fetching of remote media; without it, remote media not cached is not found.
    public func setRemoteFetcher(_ remote: any RemoteMediaFetcher) { fetcher.withLock { $0 = remote } }
    private let logger: Logger

    public var maxUploadSize: Int { settings.maxUploadSize }

    public init(config: ApusConfiguration, database: Database, clock: Clock, logger: Logger) throws {
        files = MediaFileStore(root: config.mediaPath)
        try files.prepare()
        self.database = database
        self.clock = clock
        serverName = config.serverName
        settings = config.media
        thumbnailer = Thumbnailer(maxPixels: config.media.maxImagePixels)
        self.logger = logger
    }

    // MARK: Uploads

    /// `POST /upload`: stores the body, then names it with a new media ID.
    public func upload<Body: AsyncSequence>(_ body: Body, contentType: String?, filename: String?,
                                            uploader: Requester) async throws -> MXCURI where Body.Element == ByteBuffer {
        let filename = try Self.validFilename(filename)
        let stored = try await files.store(body, limit: settings.maxUploadSize)
        let mediaID = Self.newMediaID()
        try await database.insertLocalMedia(LocalMedia(
            mediaID: mediaID.value, uploader: uploader.userID, contentType: Self.normalisedContentType(contentType),
            filename: filename, size: stored.size, sha256: stored.sha256, createdTs: clock.nowMillis(),
            legacyAccess: settings.allowLegacyUnauthenticated))
        return MXCURI(server: serverName, mediaID: mediaID)
    }

    /// `POST /create`: a media ID to upload to later, and when it lapses.
    public func create(for uploader: Requester) async throws -> (uri: MXCURI, expiresAt: Int64) {
        let now = clock.nowMillis()
        try await database.deleteExpiredPendingMedia(now: now)
        let mediaID = Self.newMediaID()
        let expiresAt = now + Self.pendingLifetimeMillis
        let created = try await database.insertPendingMedia(LocalMedia(
            mediaID: mediaID.value, uploader: uploader.userID, contentType: nil, filename: nil, size: nil, sha256: nil,
            createdTs: now, unusedExpiresTs: expiresAt, legacyAccess: settings.allowLegacyUnauthenticated),
            limit: Self.maxPendingUploads, now: now)
        guard created else {
            throw MatrixError("M_LIMIT_EXCEEDED", "Too many pending uploads; finish or let some expire first", status: 429)
        }
        return (MXCURI(server: serverName, mediaID: mediaID), expiresAt)
    }

    /// `PUT /upload/{serverName}/{mediaId}`: fills a `/create`d ID. Every refusal comes before
    /// a byte of the body is read.
    public func upload<Body: AsyncSequence>(_ body: Body, server: String, mediaID: String, contentType: String?,
                                            filename: String?, uploader: Requester) async throws where Body.Element == ByteBuffer {
        let (origin, id) = try parse(server: server, mediaID: mediaID)
        guard origin == serverName else { throw MatrixError.notFound("Media ID was not created on this server") }
        let filename = try Self.validFilename(filename)
        guard let row = try await database.localMedia(id.value) else { throw MatrixError.notFound("Unknown media ID") }
        guard row.uploader == uploader.userID else {
            throw MatrixError.forbidden("This media ID was created by another user")
        }
        guard row.isPending else { throw Self.cannotOverwrite() }
        guard (row.unusedExpiresTs ?? 0) > clock.nowMillis() else { throw MatrixError.notFound("Media ID has expired") }
        let stored = try await files.store(body, limit: settings.maxUploadSize)
        switch try await database.completePendingMedia(id.value, contentType: Self.normalisedContentType(contentType),
                                                        filename: filename, size: stored.size, sha256: stored.sha256,
                                                        now: clock.nowMillis()) {
        case .completed: await signals.signal(id.value)
        case .alreadyUploaded: throw Self.cannotOverwrite()
        case .notFound: throw MatrixError.notFound("Media ID has expired")
        }
    }

    /// Stores content the server fetched itself (a URL preview's image) as local media of
    /// `owner`, under the same freeze rule as uploads.
    public func storeFetched(_ bytes: [UInt8], contentType: String, owner: String) async throws -> (uri: MXCURI, size: Int, sha256: String) {
        let stored = try await files.store(bytes: bytes)
        let mediaID = Self.newMediaID()
        try await database.insertLocalMedia(LocalMedia(
            mediaID: mediaID.value, uploader: owner, contentType: contentType, filename: nil, size: stored.size,
            sha256: stored.sha256, createdTs: clock.nowMillis(), legacyAccess: settings.allowLegacyUnauthenticated))
        return (MXCURI(server: serverName, mediaID: mediaID), stored.size, stored.sha256)
    }

    /// Width and height of stored image content, read from its header (nil when libvips
    /// cannot read it or it has more than `max_image_pixels`).
    public func imageDimensions(sha256: String) async -> (width: Int, height: Int)? {
        guard let size = try? await thumbnailer.dimensions(path: files.path(forSHA256: sha256)) else { return nil }
        return (size.width, size.height)
    }

    // MARK: Downloads

    /// Content that is on disk: local media once uploaded, or a remote server's, cached.
    private struct StoredMedia {
        let origin: String
        let mediaID: String
        let sha256: String
        let size: Int
        let contentType: String?
        let filename: String?
    }

    /// The content of `mxc://server/mediaID`. `legacy`: asked through the unauthenticated
    /// endpoints, which serve only media uploaded while they were allowed.
    public func download(server: String, mediaID: String, legacy: Bool = false,
                         timeoutMillis: Int = defaultWaitMillis) async throws -> MediaContent {
        let media = try await storedMedia(server: server, mediaID: mediaID, legacy: legacy, timeoutMillis: timeoutMillis)
        return content(sha256: media.sha256, size: media.size, contentType: media.contentType, filename: media.filename)
    }

    /// A thumbnail of `mxc://server/mediaID` at least `width`×`height` (unless the image is
    /// smaller: then the image itself), made once and kept.
    public func thumbnail(server: String, mediaID: String, width: Int, height: Int, method: ThumbnailSize.Method,
                          legacy: Bool = false, timeoutMillis: Int = defaultWaitMillis) async throws -> MediaContent {
        guard width > 0, height > 0 else { throw MatrixError.invalidParam("width and height must be positive integers") }
        let media = try await storedMedia(server: server, mediaID: mediaID, legacy: legacy, timeoutMillis: timeoutMillis)
        let size = ThumbnailSize.choose(width: width, height: height, method: method)
        if let existing = try await database.mediaThumbnail(origin: media.origin, mediaID: media.mediaID, width: size.width,
                                                            height: size.height, method: size.method.rawValue),
           files.contains(sha256: existing.sha256) {
            return content(sha256: existing.sha256, size: existing.size, contentType: existing.contentType, filename: nil)
        }
        guard let format = ImageFormat.sniff(try await files.prefix(sha256: media.sha256, count: ImageFormat.sniffLength)) else {
            throw MatrixError.unknown("Cannot generate thumbnails for the requested content", status: 400)
        }
        let sourcePath = files.path(forSHA256: media.sha256)
        let source = try await thumbnailer.dimensions(path: sourcePath)
        if source.width <= size.width && source.height <= size.height {
            // Never upscale: an image within the box is its own thumbnail.
            return content(sha256: media.sha256, size: media.size, contentType: format.contentType, filename: nil)
        }
        let made = try await thumbnailer.thumbnail(path: sourcePath, format: format, size: size)
        let stored = try await files.store(bytes: made.bytes)
        try await database.insertMediaThumbnail(
            MediaThumbnail(width: size.width, height: size.height, method: size.method.rawValue, contentType: made.contentType,
                           size: stored.size, sha256: stored.sha256),
            origin: media.origin, mediaID: media.mediaID, now: clock.nowMillis())
        return content(sha256: stored.sha256, size: stored.size, contentType: made.contentType, filename: nil)
    }

    /// Our own media for another server (`/_matrix/federation/v1/media/download`).
    public func downloadForFederation(mediaID: String, timeoutMillis: Int) async throws -> MediaContent {
        try await download(server: serverName.description, mediaID: mediaID, timeoutMillis: timeoutMillis)
    }

    public func thumbnailForFederation(mediaID: String, width: Int, height: Int, method: ThumbnailSize.Method,
                                       timeoutMillis: Int) async throws -> MediaContent {
        try await thumbnail(server: serverName.description, mediaID: mediaID, width: width, height: height, method: method,
                            timeoutMillis: timeoutMillis)
    }

    // MARK: Helpers

    /// Validates the URI, then finds its content on disk: local media (waiting for a pending
    /// upload), or remote media from the cache.
    private func storedMedia(server: String, mediaID: String, legacy: Bool, timeoutMillis: Int) async throws -> StoredMedia {
        let (origin, id) = try parse(server: server, mediaID: mediaID)
        if origin == serverName {
            let media = try await readyLocalMedia(id, legacy: legacy, timeoutMillis: timeoutMillis)
            return StoredMedia(origin: origin.description, mediaID: id.value, sha256: media.sha256!, size: media.size!,
                               contentType: media.contentType, filename: media.filename)
        }
        if let cached = try await database.remoteMedia(origin: origin.description, mediaID: id.value),
           files.contains(sha256: cached.sha256), !legacy || cached.legacyAccess {
            return StoredMedia(origin: cached.origin, mediaID: cached.mediaID, sha256: cached.sha256, size: cached.size,
                               contentType: cached.contentType, filename: cached.filename)
        }
        guard let remote = fetcher.withLock({ $0 }) else { throw MatrixError.notFound("Remote media is not available (federation is off)") }
        // Fetched once, then served (and thumbnailed) from the cache like local media.
        let fetched = try await remote.fetchMedia(origin: origin, mediaID: id.value, maxSize: settings.maxUploadSize)
        let stored = try await files.store(bytes: fetched.bytes)
        let media = RemoteMedia(origin: origin.description, mediaID: id.value, contentType: fetched.contentType, filename: fetched.filename,
                                size: stored.size, sha256: stored.sha256, fetchedTs: clock.nowMillis(),
                                legacyAccess: settings.allowLegacyUnauthenticated)
        try await database.upsertRemoteMedia(media)
        guard !legacy || media.legacyAccess else { throw MatrixError.notFound("Media not found (served only through /_matrix/client/v1/media)") }
        return StoredMedia(origin: media.origin, mediaID: media.mediaID, sha256: media.sha256, size: media.size,
                           contentType: media.contentType, filename: media.filename)
    }

    /// The local media row once it has content: waits up to `timeoutMillis` for a pending
    /// upload (504 `M_NOT_YET_UPLOADED` after).
    private func readyLocalMedia(_ id: MediaID, legacy: Bool, timeoutMillis: Int) async throws -> LocalMedia {
        guard var media = try await database.localMedia(id.value) else { throw MatrixError.notFound("Media not found") }
        if legacy && !media.legacyAccess {
            throw MatrixError.notFound("Media not found (served only through /_matrix/client/v1/media)")
        }
        if media.isPending {
            guard (media.unusedExpiresTs ?? 0) > clock.nowMillis() else { throw MatrixError.notFound("Media not found") }
            await signals.wait(for: id.value, timeoutMillis: min(max(timeoutMillis, 0), Self.maxWaitMillis))
            guard let reloaded = try await database.localMedia(id.value), !reloaded.isPending else {
                throw MatrixError("M_NOT_YET_UPLOADED", "Content has not yet been uploaded", status: 504)
            }
            media = reloaded
        }
        guard files.contains(sha256: media.sha256!) else {
            logger.error("Media file missing", metadata: ["media_id": "\(id)", "sha256": "\(media.sha256!)"])
            throw MatrixError.notFound("Media not found")
        }
        return media
    }

    private func content(sha256: String, size: Int, contentType: String?, filename: String?) -> MediaContent {
        MediaContent(contentType: contentType ?? "application/octet-stream", filename: filename, size: size,
                     body: files.reader(sha256: sha256))
    }

    private func parse(server: String, mediaID: String) throws(MatrixError) -> (ServerName, MediaID) {
        do {
            return (try ServerName(server), try MediaID(mediaID))
        } catch {
            throw MatrixError.invalidParam("Invalid media URI: \(error)")
        }
    }

    static func newMediaID() -> MediaID {
        // Alphanumeric, so always valid.
        try! MediaID(SecureRandom.alphanumeric(24))
    }

    static func cannotOverwrite() -> MatrixError {
        MatrixError("M_CANNOT_OVERWRITE_MEDIA", "Media already uploaded", status: 409)
    }

    /// The uploader's content type when it is a well-formed `type/subtype[; params]` in
    /// printable ASCII; otherwise none (served as `application/octet-stream`).
    static func normalisedContentType(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty, value.utf8.count <= 255,
              value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
        else { return nil }
        let essence = value.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces)
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        let token: (Substring) -> Bool = { part in
            !part.isEmpty && part.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || Array("!#$&^_.+-".utf8).contains(b)
            }
        }
        guard parts.count == 2, token(parts[0]), token(parts[1]) else { return nil }
        return value
    }

    /// File names are echoed in `Content-Disposition` (encoded there), so only their length
    /// and control characters are refused.
    static func validFilename(_ name: String?) throws(MatrixError) -> String? {
        guard let name, !name.isEmpty else { return nil }
        guard name.utf8.count <= 255 else { throw MatrixError.invalidParam("filename is longer than 255 bytes") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw MatrixError.invalidParam("filename contains control characters")
        }
        return name
    }
}
