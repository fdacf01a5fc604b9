import Foundation
import MatrixProtocol

/// The server's signing key on disk, in Synapse's format; created (0600) on first start.
public enum SigningKeyFile {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case malformed(path: String, SigningKeyError)
        case unwritable(path: String, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read signing key \(path): \(reason)"
            case .malformed(let path, let error): "\(path): \(error)"
            case .unwritable(let path, let reason): "cannot create signing key \(path): \(reason)"
            }
        }
    }

    /// Loads the key at `path`, generating and writing a new one if the file does not exist.
    /// Returns the key and whether it was created.
    public static func loadOrCreate(path: String) throws(Failure) -> (key: SigningKey, created: Bool) {
        if FileManager.default.fileExists(atPath: path) {
            return (try load(path: path), false)
        }
        let key = SigningKey.generate()
        try write(key, to: path)
        return (key, true)
    }

    public static func load(path: String) throws(Failure) -> SigningKey {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        do { return try SigningKey(fileContents: text) } catch { throw .malformed(path: path, error) }
    }

    /// Writes with mode 0600 from the start (never world-readable, not even briefly), and
    /// refuses to overwrite an existing file.
    public static func write(_ key: SigningKey, to path: String) throws(Failure) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw .unwritable(path: path, reason: error.localizedDescription)
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .unwritable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(key.fileContents.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw .unwritable(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
