import Outbound

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
        /// Answer `/preview_url` by fetching the URL; off, it answers 404 `M_UNRECOGNIZED`.
        public var urlPreviewEnabled: Bool
        /// Addresses outbound requests to arbitrary URLs (URL previews, push gateways) may not
        /// reach, besides the built-in special-purpose ranges.
        public var urlPreviewIPRangeBlocklist: [IPRange]
        /// Addresses those requests may reach even when blocked (e.g. a gateway on the LAN).
        public var urlPreviewIPRangeAllowlist: [IPRange]

        public init(path: String = "media", maxUploadSize: Int = 50 * 1024 * 1024, maxImagePixels: Int = 32_000_000,
                    allowLegacyUnauthenticated: Bool = false, urlPreviewEnabled: Bool = false,
                    urlPreviewIPRangeBlocklist: [IPRange] = [], urlPreviewIPRangeAllowlist: [IPRange] = []) {
            self.path = path
            self.maxUploadSize = maxUploadSize
            self.maxImagePixels = maxImagePixels
            self.allowLegacyUnauthenticated = allowLegacyUnauthenticated
            self.urlPreviewEnabled = urlPreviewEnabled
            self.urlPreviewIPRangeBlocklist = urlPreviewIPRangeBlocklist
            self.urlPreviewIPRangeAllowlist = urlPreviewIPRangeAllowlist
        }

        /// The address policy of outbound requests to arbitrary URLs.
        public var outboundPolicy: AddressPolicy {
            AddressPolicy(extraBlocked: urlPreviewIPRangeBlocklist, allowed: urlPreviewIPRangeAllowlist)
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
        urlPreviewEnabled = table.bool("url_preview_enabled") ?? urlPreviewEnabled
        urlPreviewIPRangeBlocklist = table.array("url_preview_ip_range_blocklist", of: IPRange.validated) ?? urlPreviewIPRangeBlocklist
        urlPreviewIPRangeAllowlist = table.array("url_preview_ip_range_allowlist", of: IPRange.validated) ?? urlPreviewIPRangeAllowlist
    }
}

extension IPRange {
    static func validated(_ text: String) throws(ValueProblem) -> IPRange {
        guard let range = IPRange(text) else {
            throw ValueProblem("expected an IP address or CIDR range (\"10.0.0.0/8\", \"fd00::/8\"), found \"\(text)\"")
        }
        return range
    }
}
