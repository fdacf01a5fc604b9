/// The media ID of an `mxc://<server-name>/<media-id>` URI. The spec allows only `A-Za-z0-9`,
/// `_` and `-`: a whitelist, so no encoding trick (`..`, `%2F`, NUL, UTF-8 lookalikes) can turn
/// an ID into a path.
public struct MediaID: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public var description: String { value }

    /// Longest ID accepted (Apus makes 24-character ones; other servers' are similar).
    public static let maxLength = 255

    public init(_ string: String) throws(IdentifierError) {
        guard !string.isEmpty, string.utf8.count <= Self.maxLength else {
            throw .invalid("media ID must be 1-\(Self.maxLength) characters")
        }
        guard string.utf8.allSatisfy(Self.isAllowed) else {
            throw .invalid("media ID may contain only A-Z, a-z, 0-9, '_' and '-'")
        }
        value = string
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }
}

/// `mxc://<server-name>/<media-id>`.
public struct MXCURI: Hashable, Sendable, CustomStringConvertible {
    public let server: ServerName
    public let mediaID: MediaID

    public init(server: ServerName, mediaID: MediaID) {
        self.server = server
        self.mediaID = mediaID
    }

    public var description: String { "mxc://\(server)/\(mediaID)" }
}
