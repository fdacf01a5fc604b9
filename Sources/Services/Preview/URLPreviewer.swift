import ApusConfig
import Logging
import MatrixProtocol
import Outbound
import Store

/// `/preview_url`: fetches a page through the SSRF-safe `OutboundHTTPClient` and answers its
/// OpenGraph data. An HTML page gives its `og:*` tags (or `<title>` and description); its
/// `og:image` is downloaded too and stored as local media, answered as an `mxc://` URI with
/// `matrix:image:size`, type and dimensions. A URL that is itself an image previews as that
/// image. Answers are cached per URL and hour (`url_previews`), and concurrent requests for
/// one URL share one fetch.
public final class URLPreviewer: Sendable {
    /// A cached answer serves requests within the same hour.
    public static let bucketMillis: Int64 = 3_600_000
    /// Cached answers are forgotten after this (the `ts` of older requests then gets a new fetch).
    static let retentionMillis: Int64 = 7 * 24 * 3_600_000
    /// HTML is read up to this, then parsed as far as it goes: what previews need is in `<head>`.
    public static let maxHTMLSize = 1 << 20
    static let maxURLLength = 2048
    /// Sites tailor their markup to crawlers; the version is left out (it helps attackers only).
    static let userAgent = "Apus (bot; URL preview)"

    public let isEnabled: Bool
    let client: OutboundHTTPClient
    let media: MediaRepository
    let database: Database
    let clock: Clock
    let logger: Logger
    let maxImageSize: Int
    private let flights = PreviewFlights()

    init(config: ApusConfiguration.Media, client: OutboundHTTPClient, media: MediaRepository, database: Database, clock: Clock,
         logger: Logger) {
        isEnabled = config.urlPreviewEnabled
        self.client = client
        self.media = media
        self.database = database
        self.clock = clock
        self.logger = logger
        maxImageSize = config.maxUploadSize
    }

    /// The preview of `text` for `owner` (who owns a stored image); `ts` prefers the answer
    /// cached for that time.
    public func preview(url text: String, ts: Int64?, owner: String) async throws -> JSONObject {
        guard isEnabled else { throw Self.disabled() }
        guard text.utf8.count <= Self.maxURLLength, let url = HTTPURL(text) else {
            throw MatrixError.invalidParam("'url' must be an absolute http or https URL")
        }
        let key = url.description
        let now = clock.nowMillis()
        var buckets = [now / Self.bucketMillis]
        if let ts, ts >= 0, ts / Self.bucketMillis != buckets[0] { buckets.insert(ts / Self.bucketMillis, at: 0) }
        for bucket in buckets {
            if let cached = try await database.urlPreview(url: key, bucket: bucket), let og = try? JSONParser.parseObject(cached) {
                return og
            }
        }
        return try await flights.run(key) {
            let og = try await self.fetchPreview(url, owner: owner)
            try await self.database.storeURLPreview(url: key, bucket: now / Self.bucketMillis, og: JSONValue.object(og).encodedBytes(),
                                                    now: now, expireBefore: now - Self.retentionMillis)
            return og
        }
    }

    /// What the endpoints answer while previews are off: the same as an unknown endpoint.
    public static func disabled() -> MatrixError { .unrecognized("URL previews are disabled on this server") }

    // MARK: Fetching

    private enum Kind { case html, image, other }

    private static func kind(_ head: OutboundResponseHead) -> Kind {
        guard let type = head.mediaType else { return .other }
        if type == "text/html" || type == "application/xhtml+xml" { return .html }
        return type.hasPrefix("image/") ? .image : .other
    }

    private func fetchPreview(_ url: HTTPURL, owner: String) async throws -> JSONObject {
        let maxImage = maxImageSize
        let request = OutboundRequest(url: url, headers: [("Accept", "text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.1"),
                                                          ("Accept-Language", "en")])
        let response: OutboundResponse
        do {
            response = try await client.send(request) { head in
                guard (200..<300).contains(head.status) else { return .skip }
                switch Self.kind(head) {
                case .html: return .read(max: Self.maxHTMLSize, truncate: true)
                case .image: return .read(max: maxImage, truncate: false)
                case .other: return .skip
                }
            }
        } catch {
            logger.info("URL preview fetch failed", metadata: ["url": "\(url)", "error": "\(error)"])
            throw Self.matrixError(error)
        }
        guard (200..<300).contains(response.status) else {
            throw MatrixError.unknown("The URL answered HTTP \(response.status)", status: 502)
        }
        switch Self.kind(response.head) {
        case .image:
            return try await storeImage(response.body, owner: owner) ?? [:]
        case .html:
            var og = OpenGraph.parse(html: HTMLCharset.decode(response.body, contentTypeCharset: response.head.charset))
            if let reference = og.removeValue(forKey: "og:image")?.stringValue {
                // Relative to the page that answered (after redirects). Failing to get the
                // image leaves the rest of the preview intact.
                if let imageURL = response.url.resolve(reference), let image = await fetchImage(imageURL, owner: owner) {
                    for (key, value) in image { og[key] = value }
                }
            }
            return og
        case .other:
            return [:]
        }
    }

    private func fetchImage(_ url: HTTPURL, owner: String) async -> JSONObject? {
        let maxImage = maxImageSize
        do {
            let response = try await client.send(OutboundRequest(url: url, headers: [("Accept", "image/*")])) { head in
                (200..<300).contains(head.status) && Self.kind(head) == .image ? .read(max: maxImage, truncate: false) : .skip
            }
            guard (200..<300).contains(response.status), Self.kind(response.head) == .image else { return nil }
            return try await storeImage(response.body, owner: owner)
        } catch {
            logger.info("URL preview image fetch failed", metadata: ["url": "\(url)", "error": "\(error)"])
            return nil
        }
    }

    /// Stores an image whose bytes are one of the formats the media repository thumbnails
    /// (the server's `Content-Type` is not trusted); nil for anything else.
    private func storeImage(_ bytes: [UInt8], owner: String) async throws -> JSONObject? {
        guard let format = ImageFormat.sniff(Array(bytes.prefix(ImageFormat.sniffLength))) else { return nil }
        let stored = try await media.storeFetched(bytes, contentType: format.contentType, owner: owner)
        var og: JSONObject = ["og:image": .string(stored.uri.description), "og:image:type": .string(format.contentType),
                              "matrix:image:size": .int(Int64(stored.size))]
        if let size = await media.imageDimensions(sha256: stored.sha256) {
            og["og:image:width"] = .int(Int64(size.width))
            og["og:image:height"] = .int(Int64(size.height))
        }
        return og
    }

    /// The client's view of a failed fetch. A host name that resolves to a blocked address
    /// reads like one that does not resolve (as in Synapse), so previews cannot be used to
    /// map internal DNS names; an address literal the client wrote itself may say so.
    static func matrixError(_ error: OutboundError) -> MatrixError {
        switch error {
        case .invalidURL: .invalidParam("'url' must be an absolute http or https URL")
        case .blockedAddress(_, literal: true): .forbidden("IP address blocked")
        case .blockedAddress(_, literal: false), .unresolvable: .unknown("DNS resolution failure during URL preview generation", status: 502)
        case .tooLarge: MatrixError("M_TOO_LARGE", "The content at the URL is too large", status: 502)
        case .timedOut: .unknown("Timed out fetching the URL", status: 504)
        case .unreachable, .tooManyRedirects, .badResponse: .unknown("Failed to fetch the URL: \(error)", status: 502)
        }
    }
}

/// One fetch per URL at a time: the requests that arrive meanwhile wait for its answer.
actor PreviewFlights {
    private var running: [String: Task<JSONObject, any Error>] = [:]

    func run(_ key: String, _ work: @escaping @Sendable () async throws -> JSONObject) async throws -> JSONObject {
        if let task = running[key] { return try await task.value }
        let task = Task { try await work() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}
