import ApusConfig
import ArgumentParser
import Foundation

/// `--config PATH`, shared by the commands that read configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp(
        "Path of the TOML configuration file. Without it, the embedded defaults are used.",
        valueName: "path"))
    var config: String?

    /// The configuration, or a printed list of every problem (key and line) and exit code 78.
    func load() throws -> ApusConfiguration {
        guard let config else { return .defaults }
        do {
            return try ApusConfiguration.load(fromFile: config)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}
