import Foundation

/// Certificates made once per test run with the system's openssl: a test CA and a leaf it
/// signed for localhost/127.0.0.1, a self-signed leaf for the same names, and a self-signed
/// leaf naming only localhost (no IP address), and one naming other.example and 127.0.0.1.
struct TestCertificates: Sendable {
    let directory: String
    var caCert: String { directory + "/ca.crt" }
    var leafCert: String { directory + "/leaf.crt" }
    var leafKey: String { directory + "/leaf.key" }
    var selfSignedCert: String { directory + "/self.crt" }
    var selfSignedKey: String { directory + "/self.key" }
    var dnsOnlyCert: String { directory + "/dns.crt" }
    var dnsOnlyKey: String { directory + "/dns.key" }
    var otherNameCert: String { directory + "/other.crt" }
    var otherNameKey: String { directory + "/other.key" }

    static let shared: TestCertificates = {
        let directory = NSTemporaryDirectory() + "apus-fedclient-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certs = TestCertificates(directory: directory)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl(["req", "-x509"] + ec + ["-keyout", directory + "/ca.key", "-out", certs.caCert, "-days", "2",
                 "-subj", "/CN=Apus Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        openssl(["req", "-new"] + ec + ["-keyout", certs.leafKey, "-out", directory + "/leaf.csr", "-subj", "/CN=localhost"])
        try! "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            .write(toFile: directory + "/leaf.ext", atomically: true, encoding: .utf8)
        openssl(["x509", "-req", "-in", directory + "/leaf.csr", "-CA", certs.caCert, "-CAkey", directory + "/ca.key",
                 "-CAcreateserial", "-out", certs.leafCert, "-days", "2", "-extfile", directory + "/leaf.ext"])
        openssl(["req", "-x509"] + ec + ["-keyout", certs.selfSignedKey, "-out", certs.selfSignedCert, "-days", "2",
                 "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        openssl(["req", "-x509"] + ec + ["-keyout", certs.dnsOnlyKey, "-out", certs.dnsOnlyCert, "-days", "2",
                 "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
        openssl(["req", "-x509"] + ec + ["-keyout", certs.otherNameKey, "-out", certs.otherNameCert, "-days", "2",
                 "-subj", "/CN=other.example", "-addext", "subjectAltName=DNS:other.example,IP:127.0.0.1"])
        return certs
    }()

    private static func openssl(_ arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try! process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " ")) failed")
    }
}
