/// The thumbnail sizes Apus makes — the spec's recommended list — and which one answers a request.
public struct ThumbnailSize: Sendable, Equatable, CustomStringConvertible {
    public enum Method: String, Sendable {
        /// Fills the box exactly (centre crop): the requested aspect ratio.
        case crop
        /// Fits inside the box: the image's own aspect ratio.
        case scale
    }

    public let width: Int
    public let height: Int
    public let method: Method

    public init(width: Int, height: Int, method: Method) {
        self.width = width
        self.height = height
        self.method = method
    }

    public var description: String { "\(width)x\(height) \(method.rawValue)" }

    public static let standard: [ThumbnailSize] = [
        .init(width: 32, height: 32, method: .crop),
        .init(width: 96, height: 96, method: .crop),
        .init(width: 320, height: 240, method: .scale),
        .init(width: 640, height: 480, method: .scale),
        .init(width: 800, height: 600, method: .scale),
    ]

    /// The smallest standard size of the requested method that is at least as large as asked,
    /// so the client never gets less than it asked for; past the largest crop size a request
    /// falls to the scale sizes, and past those to the largest.
    public static func choose(width: Int, height: Int, method: Method) -> ThumbnailSize {
        let fits = standard.filter { $0.width >= width && $0.height >= height }
        return fits.first { $0.method == method } ?? fits.first { $0.method == .scale } ?? standard[standard.count - 1]
    }
}
