import CVips
import MatrixProtocol
import NIOPosix

/// Makes thumbnails with libvips (see docs/architecture.md for why libvips). Only JPEG, PNG, GIF
/// and WebP reach the decoder — every other libvips loader is blocked at start — and only
/// after the header said the image has at most `maxPixels` pixels, so a decompression bomb is
/// refused before a pixel is decoded. libvips shrinks while it decodes (JPEG even decodes at
/// reduced scale), so memory stays near the size of the output, not of the source.
struct Thumbnailer: Sendable {
    let maxPixels: Int
    let threadPool: NIOThreadPool

    /// Image dimensions from the header alone.
    struct Dimensions: Sendable, Equatable {
        let width: Int
        let height: Int
    }

    private static let started: Bool = apus_vips_start() == 0

    init(maxPixels: Int, threadPool: NIOThreadPool = .singleton) {
        self.maxPixels = maxPixels
        self.threadPool = threadPool
    }

    /// The dimensions of the image at `path`, refusing one larger than `maxPixels` (413).
    func dimensions(path: String) async throws -> Dimensions {
        guard Self.started else { throw MatrixError.unknown("Image library unavailable") }
        let size: Dimensions? = try await threadPool.runIfActive {
            var width: Int32 = 0, height: Int32 = 0
            guard apus_vips_dimensions(path, &width, &height) == 0, width > 0, height > 0 else { return nil }
            return Dimensions(width: Int(width), height: Int(height))
        }
        guard let size else { throw MatrixError.unknown("Cannot generate thumbnails for the requested content", status: 400) }
        // Both are below 2^31, so the product cannot overflow.
        guard size.width * size.height <= maxPixels else { throw MatrixError.tooLarge("Image is too large to thumbnail (more than \(maxPixels) pixels)") }
        return size
    }

    /// A thumbnail of the image at `path`, JPEG for JPEG sources (photos) and PNG otherwise
    /// (keeps transparency and sharp edges).
    func thumbnail(path: String, format: ImageFormat, size: ThumbnailSize) async throws -> (bytes: [UInt8], contentType: String) {
        let jpeg = format == .jpeg
        let bytes: [UInt8]? = try await threadPool.runIfActive {
            var buffer: UnsafeMutableRawPointer?
            var length = 0
            guard apus_vips_thumbnail(path, Int32(size.width), Int32(size.height), size.method == .crop ? 1 : 0, jpeg ? 1 : 0,
                                      &buffer, &length) == 0, let buffer
            else { return nil }
            defer { apus_vips_free(buffer) }
            return Array(UnsafeRawBufferPointer(start: buffer, count: length))
        }
        guard let bytes else { throw MatrixError.unknown("Cannot generate thumbnails for the requested content", status: 400) }
        return (bytes, jpeg ? ImageFormat.jpeg.contentType : ImageFormat.png.contentType)
    }
}
