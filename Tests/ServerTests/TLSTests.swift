import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MatrixProtocol
@testable import Server
import Testing
import TestSupport

/// Makes a self-signed certificate for localhost with the system's openssl.
func makeSelfSignedCertificate(in directory: String) throws -> (cert: String, key: String) {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let cert = directory + "/tls.crt", key = directory + "/tls.key"
    try OpenSSL.selfSigned(cert: cert, key: key, commonName: "localhost",
                           extensions: ["subjectAltName=DNS:localhost,IP:127.0.0.1"])
    return (cert, key)
}

@Suite struct TLSTests {
    @Test func tlsListenerServesTheSameRoutes() async throws {
        let hs = try await TestHomeserver.make()
        let (cert, key) = try makeSelfSignedCertificate(in: hs.directory + "/certs")
        let listener = ApusConfiguration.Listener(bind: "127.0.0.1", port: 0, resources: [.client, .federation],
                                                  tls: true, tlsCertificate: cert, tlsPrivateKey: key)
        let app = try ListenerApplication.make(listener: listener, homeserver: hs.homeserver, logger: Logger(label: "test"))
        try await app.test(.ahc(.https)) { client in
            try await client.execute(uri: "/_matrix/client/versions", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["versions"]?.arrayValue?.isEmpty == false)
            }
            try await client.execute(uri: "/_matrix/key/v2/server", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["server_name"]?.stringValue == "localhost")
            }
            try await client.execute(uri: "/_matrix/federation/v1/version", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.json["errcode"]?.stringValue == "M_UNRECOGNIZED")
            }
        }
        try await hs.close()
    }

    @Test func missingCertificateIsAClearError() async throws {
        let hs = try await TestHomeserver.make()
        let listener = ApusConfiguration.Listener(bind: "127.0.0.1", port: 0, resources: [.client],
                                                  tls: true, tlsCertificate: "/nonexistent/cert.pem", tlsPrivateKey: "/nonexistent/key.pem")
        #expect {
            _ = try ListenerApplication.make(listener: listener, homeserver: hs.homeserver, logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("/nonexistent/cert.pem")
        }
        try await hs.close()
    }
}
