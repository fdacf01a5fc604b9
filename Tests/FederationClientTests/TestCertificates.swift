import Foundation
import TestSupport

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
        try! OpenSSL.selfSigned(cert: certs.caCert, key: directory + "/ca.key", commonName: "Apus Test CA",
                                extensions: ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"])
        try! OpenSSL.run(["req", "-new"] + OpenSSL.newKey + ["-keyout", certs.leafKey, "-out", directory + "/leaf.csr",
                                                             "-subj", "/CN=localhost"])
        try! "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            .write(toFile: directory + "/leaf.ext", atomically: true, encoding: .utf8)
        try! OpenSSL.run(["x509", "-req", "-in", directory + "/leaf.csr", "-CA", certs.caCert, "-CAkey", directory + "/ca.key",
                          "-CAcreateserial", "-out", certs.leafCert, "-days", "2", "-extfile", directory + "/leaf.ext"])
        try! OpenSSL.selfSigned(cert: certs.selfSignedCert, key: certs.selfSignedKey, commonName: "localhost",
                                extensions: ["subjectAltName=DNS:localhost,IP:127.0.0.1"])
        try! OpenSSL.selfSigned(cert: certs.dnsOnlyCert, key: certs.dnsOnlyKey, commonName: "localhost",
                                extensions: ["subjectAltName=DNS:localhost"])
        try! OpenSSL.selfSigned(cert: certs.otherNameCert, key: certs.otherNameKey, commonName: "other.example",
                                extensions: ["subjectAltName=DNS:other.example,IP:127.0.0.1"])
        return certs
    }()
}
