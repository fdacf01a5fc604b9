import ArgumentParser
import Services

@main
struct Apus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Apus, a Matrix homeserver.",
        discussion: """
            Without a subcommand, `apus` runs `serve`. With no --config, the server runs on embedded
            defaults: server name "localhost", data in ./apus-data, client API on 127.0.0.1:8008.
            Write a commented config file with `apus generate-config` and edit it.
            """,
        version: "apus \(Homeserver.version)",
        subcommands: [Serve.self, GenerateConfig.self, CheckConfig.self, GenerateKey.self, StateCommand.self, UserCommand.self,
                      TokenCommand.self, RoomCommand.self, BackupCommand.self, RestoreCommand.self, DoctorCommand.self],
        defaultSubcommand: Serve.self
    )
}
