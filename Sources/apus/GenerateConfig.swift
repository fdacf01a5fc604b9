import ApusConfig
import ArgumentParser
import Foundation

struct GenerateConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a fully commented default configuration file.",
        discussion: "Every key is present with its default value and an explanation. Prints to standard output without --output.")

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write the file.", valueName: "path"))
    var output: String?

    @Flag(help: "Overwrite the output file if it exists.")
    var force = false

    func run() throws {
        let text = ApusConfiguration.defaultFileText
        guard let output else {
            print(text, terminator: "")
            return
        }
        try writeNew(text, to: output, force: force)
        print("Wrote \(output)")
    }
}

/// Writes a file, refusing to replace an existing one unless forced.
func writeNew(_ text: String, to path: String, force: Bool) throws {
    if FileManager.default.fileExists(atPath: path), !force {
        FileHandle.standardError.write(Data("\(path) already exists (use --force to overwrite)\n".utf8))
        throw ExitCode.failure
    }
    try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
}
