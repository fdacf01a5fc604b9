import ApusConfig
import ArgumentParser

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a configuration file and exit.",
        discussion: "Prints every problem with its key and line; exits 78 when the file is not valid.")

    @Option(name: [.short, .long], help: ArgumentHelp("The TOML configuration file to check.", valueName: "path"))
    var config: String

    func run() throws {
        let loaded = try ConfigOption(config: config).load()
        print("\(config): OK (server_name \(loaded.serverName), \(loaded.listeners.count) listener(s), data in \(loaded.dataDir))")
    }
}

extension ConfigOption {
    init(config: String?) {
        self.init()
        self.config = config
    }
}
