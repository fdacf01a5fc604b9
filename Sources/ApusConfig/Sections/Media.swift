/// `[media]`: the media repository.
extension ApusConfiguration {
    public struct Media: Sendable, Equatable {
        /// `path`, as written; see `ApusConfiguration.mediaPath` for the absolute path.
        public var path: String
        /// Bytes.
        public var maxUploadSize: Int
        /// Largest image, in pixels, the server decodes (e.g. to thumbnail it).
        public var maxImagePixels: Int

        public init(path: String = "media", maxUploadSize: Int = 50 * 1024 * 1024, maxImagePixels: Int = 32_000_000) {
            self.path = path
            self.maxUploadSize = maxUploadSize
            self.maxImagePixels = maxImagePixels
        }
    }
}

extension ApusConfiguration.Media {
    init(reading table: ConfigReader) {
        self.init()
        path = table.path("path") ?? path
        maxUploadSize = table.size("max_upload_size") ?? maxUploadSize
        maxImagePixels = table.int("max_image_pixels", in: 1...Int.max) ?? maxImagePixels
    }
}
