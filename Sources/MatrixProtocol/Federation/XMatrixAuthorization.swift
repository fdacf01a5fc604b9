import Foundation
import Sodium

/// The `Authorization: X-Matrix …` header of a server-server request (spec "Request
/// Authentication"): the origin signs a JSON object of method, URI, origin, destination and
/// body with one of its keys.
public struct XMatrixAuthorization: Sendable, Equatable {
    public var origin: String
    public var destination: String?
    public var keyID: String
    public var signature: String

    public init(origin: String, destination: String?, keyID: String, signature: String) {
        self.origin = origin
        self.destination = destination
        self.keyID = keyID
        self.signature = signature
    }

    /// The object whose canonical JSON is signed. `uri` is the path and query exactly as sent.
    public static func signedObject(method: String, uri: String, origin: String, destination: String,
                                    content: JSONValue?) -> JSONObject {
        var object: JSONObject = [
            "method": .string(method.uppercased()), "uri": .string(uri),
            "origin": .string(origin), "destination": .string(destination),
        ]
        if let content { object["content"] = content }
        return object
    }

    /// Signs a request as `origin` with `key`.
    public static func sign(method: String, uri: String, origin: String, destination: String, content: JSONValue?,
                            key: SigningKey) throws(CanonicalJSONError) -> XMatrixAuthorization {
        let bytes = try signedObject(method: method, uri: uri, origin: origin, destination: destination, content: content)
            .canonicalBytes()
        return XMatrixAuthorization(origin: origin, destination: destination, keyID: key.keyID,
                                    signature: Base64.encode(key.keyPair.sign(bytes)))
    }

    /// Whether the signature verifies against `publicKey` for this request received at `destination`.
    public func verifies(method: String, uri: String, destination: String, content: JSONValue?, publicKey: [UInt8]) -> Bool {
        guard let sig = Base64.decode(signature),
              let bytes = try? Self.signedObject(method: method, uri: uri, origin: origin, destination: destination,
                                                 content: content).canonicalBytes()
        else { return false }
        return Ed25519.verify(signature: sig, message: bytes, publicKey: publicKey)
    }

    /// The header value: `X-Matrix origin="…",destination="…",key="…",sig="…"`.
    public var headerValue: String {
        var parts = ["origin=\(Self.quote(origin))"]
        if let destination { parts.append("destination=\(Self.quote(destination))") }
        parts.append("key=\(Self.quote(keyID))")
        parts.append("sig=\(Self.quote(signature))")
        return "X-Matrix " + parts.joined(separator: ",")
    }

    /// Parses a header value; nil when it is not a well-formed X-Matrix credential.
    public init?(header: String) {
        let trimmed = header.drop { $0 == " " }
        guard trimmed.lowercased().hasPrefix("x-matrix ") else { return nil }
        var params: [String: String] = [:]
        var rest = Substring(trimmed.dropFirst("x-matrix ".count))
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let name = rest[..<eq].trimmingSpaces.lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                var closed = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(c); escaped = false }
                    else if c == "\\" { escaped = true }
                    else if c == "\"" { closed = true; break }
                    else { value.append(c) }
                }
                guard closed else { return nil }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingSpaces
                rest = rest[end...]
            }
            params[name] = value
        }
        guard let origin = params["origin"], let key = params["key"], let sig = params["sig"] else { return nil }
        self.init(origin: origin, destination: params["destination"], keyID: key, signature: sig)
    }

    private static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

private extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
