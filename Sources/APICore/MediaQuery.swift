import Hummingbird
import MatrixProtocol

/// The query parameters of media downloads and thumbnails, shared by the client and federation
/// endpoints: `400 M_MISSING_PARAM` / `M_INVALID_PARAM` for anything malformed.
public enum MediaQuery {
    public struct Thumbnail: Sendable {
        public let width: Int
        public let height: Int
        public let method: ThumbnailSize.Method
        /// Asked for an animated thumbnail; Apus makes static ones only, which the spec allows.
        public let animated: Bool
    }

    public static func thumbnail(_ request: Request) throws(MatrixError) -> Thumbnail {
        let query = request.uri.queryParameters
        func dimension(_ name: String) throws(MatrixError) -> Int {
            guard let raw = query.get(name) else { throw MatrixError.missingParam("Missing '\(name)'") }
            guard let value = Int(raw), value > 0, value <= 10_000 else {
                throw MatrixError.invalidParam("'\(name)' must be an integer between 1 and 10000")
            }
            return value
        }
        let method: ThumbnailSize.Method
        switch query.get("method") {
        case nil: method = .scale
        case let raw?:
            guard let m = ThumbnailSize.Method(rawValue: raw) else { throw MatrixError.invalidParam("'method' must be crop or scale") }
            method = m
        }
        let animated: Bool
        switch query.get("animated") {
        case nil, "false": animated = false
        case "true": animated = true
        default: throw MatrixError.invalidParam("'animated' must be true or false")
        }
        return Thumbnail(width: try dimension("width"), height: try dimension("height"), method: method, animated: animated)
    }

    /// `timeout_ms`: how long to wait for a pending upload (capped by the media repository);
    /// the spec's default is 20 s.
    public static func timeout(_ request: Request) throws(MatrixError) -> Int {
        guard let raw = request.uri.queryParameters.get("timeout_ms") else { return 20_000 }
        guard let value = Int(raw), value >= 0 else { throw MatrixError.invalidParam("'timeout_ms' must be a non-negative integer") }
        return value
    }

    /// Thumbnails are always `inline` (the spec requires it; their types are all image types
    /// on the inline list).
    public static func thumbnailDisposition(_ contentType: String) -> String {
        "inline; filename=\"thumbnail.\(contentType == "image/jpeg" ? "jpg" : contentType.split(separator: "/").last ?? "bin")\""
    }
}
