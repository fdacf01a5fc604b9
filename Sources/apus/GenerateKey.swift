import ArgumentParser
import Foundation
import MatrixProtocol
import Services

struct GenerateKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new Ed25519 signing key file (Synapse's format, mode 0600).",
        discussion: """
            The file holds one line, `ed25519 <version> <base64 seed>`. `apus serve` creates one on
            first start; use this to prepare a key ahead of time. Existing files are never replaced.
            """)

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write the key.", valueName: "path"))
    var output: String

    func run() throws {
        let key = SigningKey.generate()
        do {
            try SigningKeyFile.write(key, to: output)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        print("Wrote \(output): \(key.keyID) \(key.publicKeyBase64)")
    }
}
