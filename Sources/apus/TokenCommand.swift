import ArgumentParser
import Foundation
import MatrixProtocol
import Services

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registration-token",
        abstract: "Manage registration tokens (through the running server's admin API when it is up, else on the database).",
        subcommands: [Add.self, List.self, Revoke.self])

    static let columns = [("token", "token"), ("uses allowed", "uses_allowed"), ("completed", "completed"), ("expires (ms)", "expiry_time")]

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token (random unless given).")
        @OptionGroup var options: ConfigOption
        @OptionGroup var output: OutputOptions
        @Argument(help: "The token; omit for a random one.") var token: String?
        @Option(help: "How many registrations it allows (default: unlimited).") var uses: Int?
        @Option(help: "Expiry, milliseconds since the epoch (default: never).") var expires: Int64?

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                var body: JSONObject = [:]
                if let token { body["token"] = .string(token) }
                if let uses { body["uses_allowed"] = .int(Int64(uses)) }
                if let expires { body["expiry_time"] = .int(expires) }
                let created = try await context.backend.createToken(body)
                output.print(.object(created), columns: TokenCommand.columns, rows: [.object(created)])
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                let answer = try await context.backend.tokens()
                output.print(.object(answer), columns: TokenCommand.columns, rows: answer["registration_tokens"]?.arrayValue ?? [])
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a token.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The token.") var token: String

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                try await context.backend.deleteToken(token)
                print("token \(token) revoked")
            }
        }
    }
}
