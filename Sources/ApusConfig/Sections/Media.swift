/// `[media]`: the media repository.
extension ApusConfiguration {
    public struct Media: Sendable, Equatable {
        /// `path`, as written; see `ApusConfiguration.mediaPath` for the absolute path.
        public var path: String
        /// Bytes.
        public var maxUploadSize: Int
        /// Largest image, in pixels, the server decodes (e.g. to thumbnail it).
        public var maxImagePixels: Int
        /// Serve media uploaded while this is on through the deprecated unauthenticated
        /// `/_matrix/media/{v3,r0}/download|thumbnail` endpoints. Media uploaded while it is off
        /// is only served through `/_matrix/client/v1/media` (the spec's "freeze").
        public var allowLegacyUnauthenticated: Bool

        public init(path: String = "media", maxUploadSize: Int = 50 * 1024 * 1024, maxImagePixels: Int = 32_000_000,
                    allowLegacyUnauthenticated: Bool = false) {
            self.path = path
            self.maxUploadSize = maxUploadSize
            self.maxImagePixels = maxImagePixels
            self.allowLegacyUnauthenticated = allowLegacyUnauthenticated
        }
    }
}

extension ApusConfiguration.Media {
    init(reading table: ConfigReader) {
        self.init()
        path = table.path("path") ?? path
        maxUploadSize = table.size("max_upload_size") ?? maxUploadSize
        maxImagePixels = table.int("max_image_pixels", in: 1...Int.max) ?? maxImagePixels
        allowLegacyUnauthenticated = table.bool("allow_legacy_unauthenticated") ?? allowLegacyUnauthenticated
    }
}
