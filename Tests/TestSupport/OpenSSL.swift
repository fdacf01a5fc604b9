import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test certificates made with the system's openssl.
///
/// The tool is started with `posix_spawn`, not Foundation's `Process`: before exec, `Process`
/// scans /proc/self/fd and copies each entry's full 256-byte name, which reads past the end of
/// the listing buffer once the process holds over ~1 300 descriptors (the parallel test run
/// does), and crashed a CI run with SIGSEGV.
public enum OpenSSL {
    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public var description: String { "openssl \(arguments.joined(separator: " ")) exited with \(status)" }
    }

    /// Runs `openssl arguments`, its output discarded; throws unless it exits 0.
    public static func run(_ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let path = "/usr/bin/openssl"
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(arguments: arguments, status: -spawned) }

        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw Failure(arguments: arguments, status: -errno) }
        }
        let exited = status & 0x7f == 0
        guard exited, (status >> 8) & 0xff == 0 else { throw Failure(arguments: arguments, status: status) }
    }

    /// A self-signed P-256 certificate valid for two days, written to `cert` and `key`.
    /// `extensions` are further `-addext` values, such as a subjectAltName.
    public static func selfSigned(cert: String, key: String, commonName: String, extensions: [String]) throws {
        try run(["req", "-x509"] + newKey + ["-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=\(commonName)"]
                + extensions.flatMap { ["-addext", $0] })
    }

    /// `openssl req` arguments for a fresh unencrypted P-256 key.
    public static let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
}
