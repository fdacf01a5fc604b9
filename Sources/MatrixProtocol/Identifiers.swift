/// Grammar shared by the sigil-prefixed identifiers (spec appendices, "Identifier Grammar").
enum IdentifierGrammar {
    static let maxLength = 255

    /// Splits `<sigil><local>:<server>` and validates the server name.
    static func split(_ string: String, sigil: Character, kind: String) throws(IdentifierError) -> (local: Substring, server: ServerName) {
        guard string.utf8.count <= maxLength else { throw .invalid("\(kind) is longer than \(maxLength) bytes") }
        guard string.first == sigil else { throw .invalid("\(kind) must start with '\(sigil)'") }
        guard let colon = string.firstIndex(of: ":") else { throw .invalid("\(kind) '\(string)' has no ':server' part") }
        let local = string[string.index(after: string.startIndex)..<colon]
        let server: ServerName
        do { server = try ServerName(String(string[string.index(after: colon)...])) } catch {
            throw .invalid("\(kind) '\(string)': \(error)")
        }
        return (local, server)
    }
}

/// Identifiers' server part without parsing them: for comparing with a request's origin or
/// grouping members by server, where the identifiers come from stored, already checked events.
public enum MatrixIdentifier {
    /// The server part of a user, room alias or v1–v11 room/event ID: what follows the first colon.
    public static func server(of id: String) -> String? {
        guard let colon = id.firstIndex(of: ":") else { return nil }
        return String(id[id.index(after: colon)...])
    }
}

/// `@localpart:server`. Parsing accepts historical localparts (any printable ASCII but `:`);
/// `isValidNewLocalpart` is the stricter rule for registering users.
public struct UserID: Hashable, Sendable, CustomStringConvertible {
    public let localpart: String
    public let server: ServerName
    public var description: String { "@\(localpart):\(server)" }

    public init(_ string: String) throws(IdentifierError) {
        let (local, server) = try IdentifierGrammar.split(string, sigil: "@", kind: "user ID")
        guard !local.isEmpty else { throw .invalid("user ID '\(string)' has an empty localpart") }
        guard local.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != ":" }) else {
            throw .invalid("user ID '\(string)' has characters outside printable ASCII in its localpart")
        }
        self.localpart = String(local)
        self.server = server
    }

    public init(localpart: String, server: ServerName) throws(IdentifierError) {
        try self.init("@\(localpart):\(server)")
    }

    /// `a-z 0-9 . _ = - / +`, as the spec requires of new user IDs.
    public static func isValidNewLocalpart(_ localpart: String) -> Bool {
        !localpart.isEmpty && localpart.unicodeScalars.allSatisfy { c in
            ("a"..."z").contains(c) || ("0"..."9").contains(c) || "._=-/+".unicodeScalars.contains(c)
        }
    }
}

/// `!opaque:server`, or `!<reference hash>` with no server in room version 12.
public struct RoomID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    /// nil for v12 room IDs, which name no server.
    public let server: ServerName?
    public var description: String { rawValue }

    public init(_ string: String) throws(IdentifierError) {
        guard string.utf8.count <= IdentifierGrammar.maxLength else { throw .invalid("room ID is longer than 255 bytes") }
        guard string.first == "!" else { throw .invalid("room ID must start with '!'") }
        if string.contains(":") {
            let (local, server) = try IdentifierGrammar.split(string, sigil: "!", kind: "room ID")
            guard !local.isEmpty else { throw .invalid("room ID '\(string)' has an empty opaque part") }
            self.server = server
        } else {
            guard string.count > 1 else { throw .invalid("room ID '\(string)' is empty") }
            self.server = nil
        }
        rawValue = string
    }
}

/// `$opaque:server` (room versions 1–2) or `$<reference hash>` (3+).
public struct EventID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public var description: String { rawValue }

    public init(_ string: String) throws(IdentifierError) {
        guard string.utf8.count <= IdentifierGrammar.maxLength else { throw .invalid("event ID is longer than 255 bytes") }
        guard string.first == "$", string.count > 1 else { throw .invalid("event ID must start with '$' and not be empty") }
        if string.contains(":") {
            _ = try IdentifierGrammar.split(string, sigil: "$", kind: "event ID")
        }
        rawValue = string
    }
}

/// `#alias:server`.
public struct RoomAlias: Hashable, Sendable, CustomStringConvertible {
    public let localpart: String
    public let server: ServerName
    public var description: String { "#\(localpart):\(server)" }

    public init(_ string: String) throws(IdentifierError) {
        let (local, server) = try IdentifierGrammar.split(string, sigil: "#", kind: "room alias")
        guard !local.isEmpty else { throw .invalid("room alias '\(string)' has an empty localpart") }
        guard !local.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw .invalid("room alias '\(string)' contains control characters")
        }
        localpart = String(local)
        self.server = server
    }
}
