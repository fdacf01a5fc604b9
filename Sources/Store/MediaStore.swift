import GRDB

/// A local media ID's row: its content once uploaded, or a pending ID from `POST /create`.
public struct LocalMedia: Sendable, Equatable {
    public var mediaID: String
    public var uploader: String
    public var contentType: String?
    public var filename: String?
    /// Size and hex SHA-256 of the content; nil while pending.
    public var size: Int?
    public var sha256: String?
    public var createdTs: Int64
    /// When a pending ID lapses; nil once uploaded.
    public var unusedExpiresTs: Int64?
    /// Uploaded while the unauthenticated (legacy) endpoints were allowed: still served there.
    public var legacyAccess: Bool

    public var isPending: Bool { sha256 == nil }

    public init(mediaID: String, uploader: String, contentType: String?, filename: String?, size: Int?, sha256: String?,
                createdTs: Int64, unusedExpiresTs: Int64? = nil, legacyAccess: Bool) {
        self.mediaID = mediaID
        self.uploader = uploader
        self.contentType = contentType
        self.filename = filename
        self.size = size
        self.sha256 = sha256
        self.createdTs = createdTs
        self.unusedExpiresTs = unusedExpiresTs
        self.legacyAccess = legacyAccess
    }

    init(row: Row) {
        self.init(mediaID: row["media_id"], uploader: row["uploader"], contentType: row["content_type"], filename: row["filename"],
                  size: row["size"], sha256: row["sha256"], createdTs: row["created_ts"], unusedExpiresTs: row["unused_expires_ts"],
                  legacyAccess: row["legacy_access"])
    }
}

/// Another server's media, cached after a federation download.
public struct RemoteMedia: Sendable, Equatable {
    public var origin: String
    public var mediaID: String
    public var contentType: String?
    public var filename: String?
    public var size: Int
    public var sha256: String
    public var fetchedTs: Int64
    public var legacyAccess: Bool

    public init(origin: String, mediaID: String, contentType: String?, filename: String?, size: Int, sha256: String,
                fetchedTs: Int64, legacyAccess: Bool) {
        self.origin = origin
        self.mediaID = mediaID
        self.contentType = contentType
        self.filename = filename
        self.size = size
        self.sha256 = sha256
        self.fetchedTs = fetchedTs
        self.legacyAccess = legacyAccess
    }
}

/// A stored thumbnail of some media.
public struct MediaThumbnail: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var method: String
    public var contentType: String
    public var size: Int
    public var sha256: String

    public init(width: Int, height: Int, method: String, contentType: String, size: Int, sha256: String) {
        self.width = width
        self.height = height
        self.method = method
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
    }
}

/// Why a pending upload could not be completed.
public enum MediaCompletion: Sendable, Equatable {
    case completed
    /// Another request filled the ID first.
    case alreadyUploaded
    /// The ID is unknown or lapsed.
    case notFound
}

extension Database {
    public func localMedia(_ mediaID: String) async throws -> LocalMedia? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM local_media WHERE media_id = ?"), arguments: [mediaID]).map(LocalMedia.init(row:))
        }
    }

    /// Records uploaded content (its file is already in place) or a pending ID.
    public func insertLocalMedia(_ media: LocalMedia) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO local_media (media_id, uploader, content_type, filename, size, sha256, created_ts,
                                         unused_expires_ts, legacy_access)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [media.mediaID, media.uploader, media.contentType, media.filename, media.size, media.sha256,
                                 media.createdTs, media.unusedExpiresTs, media.legacyAccess])
        }
    }

    /// Creates a pending ID unless `uploader` already has `limit` unexpired pending IDs; false then.
    /// Counting and inserting in one write keeps concurrent requests from overshooting the limit.
    public func insertPendingMedia(_ media: LocalMedia, limit: Int, now: Int64) async throws -> Bool {
        try await writer.write { db in
            let pending = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COUNT(*) FROM local_media WHERE uploader = ? AND sha256 IS NULL AND unused_expires_ts > ?
                """), arguments: [media.uploader, now]) ?? 0
            guard pending < limit else { return false }
            try db.cachedStatement(sql: """
                INSERT INTO local_media (media_id, uploader, content_type, filename, size, sha256, created_ts,
                                         unused_expires_ts, legacy_access)
                VALUES (?, ?, NULL, NULL, NULL, NULL, ?, ?, ?)
                """).execute(arguments: [media.mediaID, media.uploader, media.createdTs, media.unusedExpiresTs, media.legacyAccess])
            return true
        }
    }

    /// Fills a pending ID with content whose file is already in place.
    public func completePendingMedia(_ mediaID: String, contentType: String?, filename: String?, size: Int, sha256: String,
                                     now: Int64) async throws -> MediaCompletion {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                UPDATE local_media SET content_type = ?, filename = ?, size = ?, sha256 = ?, unused_expires_ts = NULL
                WHERE media_id = ? AND sha256 IS NULL AND unused_expires_ts > ?
                """).execute(arguments: [contentType, filename, size, sha256, mediaID, now])
            if db.changesCount == 1 { return .completed }
            let uploaded = try Bool.fetchOne(db.cachedStatement(sql: "SELECT sha256 IS NOT NULL FROM local_media WHERE media_id = ?"), arguments: [mediaID])
            return uploaded == true ? .alreadyUploaded : .notFound
        }
    }

    /// Forgets pending IDs that lapsed unused; returns how many.
    @discardableResult
    public func deleteExpiredPendingMedia(now: Int64) async throws -> Int {
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM local_media WHERE sha256 IS NULL AND unused_expires_ts <= ?").execute(arguments: [now])
            return db.changesCount
        }
    }

    public func remoteMedia(origin: String, mediaID: String) async throws -> RemoteMedia? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM remote_media_cache WHERE origin = ? AND media_id = ?"), arguments: [origin, mediaID]).map {
                RemoteMedia(origin: $0["origin"], mediaID: $0["media_id"], contentType: $0["content_type"], filename: $0["filename"],
                            size: $0["size"], sha256: $0["sha256"], fetchedTs: $0["fetched_ts"], legacyAccess: $0["legacy_access"])
            }
        }
    }

    /// Records remote media fetched over federation (its file is already in place).
    public func upsertRemoteMedia(_ media: RemoteMedia) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO remote_media_cache (origin, media_id, content_type, filename, size, sha256, fetched_ts,
                                                last_access_ts, legacy_access)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (origin, media_id) DO UPDATE SET content_type = excluded.content_type,
                    filename = excluded.filename, size = excluded.size, sha256 = excluded.sha256,
                    fetched_ts = excluded.fetched_ts, last_access_ts = excluded.last_access_ts
                """).execute(arguments: [media.origin, media.mediaID, media.contentType, media.filename, media.size, media.sha256,
                                 media.fetchedTs, media.fetchedTs, media.legacyAccess])
        }
    }

    public func mediaThumbnail(origin: String, mediaID: String, width: Int, height: Int, method: String) async throws -> MediaThumbnail? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT * FROM media_thumbnails WHERE origin = ? AND media_id = ? AND width = ? AND height = ? AND method = ?
                """), arguments: [origin, mediaID, width, height, method]).map {
                MediaThumbnail(width: $0["width"], height: $0["height"], method: $0["method"], contentType: $0["content_type"],
                               size: $0["size"], sha256: $0["sha256"])
            }
        }
    }

    /// Records a generated thumbnail (file already in place); a concurrent twin is kept as is.
    public func insertMediaThumbnail(_ thumbnail: MediaThumbnail, origin: String, mediaID: String, now: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO media_thumbnails (origin, media_id, width, height, method, content_type, size, sha256, created_ts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [origin, mediaID, thumbnail.width, thumbnail.height, thumbnail.method, thumbnail.contentType,
                                 thumbnail.size, thumbnail.sha256, now])
        }
    }

    /// Number of thumbnail rows of some media (tests, admin).
    public func mediaThumbnailCount(origin: String, mediaID: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM media_thumbnails WHERE origin = ? AND media_id = ?"), arguments: [origin, mediaID]) ?? 0
        }
    }
}

extension Database {
    /// Number of local media rows, pending ones included (tests, admin).
    public func localMediaCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM local_media")) ?? 0 }
    }
}
