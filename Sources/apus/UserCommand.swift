import ArgumentParser
import Foundation
import MatrixProtocol
import Services

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage local users (through the running server's admin API when it is up, else on the database).",
        subcommands: [Add.self, List.self, ResetPassword.self, Deactivate.self, MakeAdmin.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (asks for the password unless --password-file).")
        @OptionGroup var options: ConfigOption
        @OptionGroup var output: OutputOptions
        @Argument(help: "Localpart or full user ID.") var name: String
        @Option(help: ArgumentHelp("Read the password from the first line of this file.", valueName: "file")) var passwordFile: String?
        @Flag(help: "Make the user a server admin.") var admin = false

        func run() async throws {
            let password = try readPassword(file: passwordFile)
            let context = try await AdminContext.open(options)
            try await context.run {
                let userID = context.userID(name)
                guard (try? await context.backend.user(userID)) == nil else {
                    throw MatrixError("M_USER_IN_USE", "\(userID) already exists", status: 400)
                }
                let user = try await context.backend.putUser(userID, body: ["password": .string(password), "admin": .bool(admin)])
                output.print(.object(user), columns: UserCommand.columns, rows: [.object(user)])
            }
        }
    }

    static let columns = [("user", "name"), ("admin", "admin"), ("deactivated", "deactivated"), ("guest", "is_guest"),
                          ("display name", "displayname")]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var output: OutputOptions
        @Flag(help: "Include deactivated users.") var deactivated = false

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                let answer = try await context.backend.users(deactivated: deactivated)
                output.print(.object(answer), columns: UserCommand.columns, rows: answer["users"]?.arrayValue ?? [])
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password and log out their sessions.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "Localpart or full user ID.") var name: String
        @Option(help: ArgumentHelp("Read the password from the first line of this file.", valueName: "file")) var passwordFile: String?

        func run() async throws {
            let password = try readPassword(file: passwordFile)
            let context = try await AdminContext.open(options)
            try await context.run {
                let userID = context.userID(name)
                _ = try await context.backend.user(userID)
                _ = try await context.backend.putUser(userID, body: ["password": .string(password), "logout_devices": true])
                print("password of \(userID) changed; its sessions were logged out")
            }
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deactivate a user: leaves their rooms, removes password and devices.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "Localpart or full user ID.") var name: String

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                let userID = context.userID(name)
                try await context.backend.deactivate(userID)
                print("\(userID) deactivated")
            }
        }
    }

    struct MakeAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "make-admin", abstract: "Make a user a server admin (--revoke to undo).")
        @OptionGroup var options: ConfigOption
        @Argument(help: "Localpart or full user ID.") var name: String
        @Flag(help: "Take admin rights away instead.") var revoke = false

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                let userID = context.userID(name)
                _ = try await context.backend.user(userID)
                _ = try await context.backend.putUser(userID, body: ["admin": .bool(!revoke)])
                print(revoke ? "\(userID) is no longer an admin" : "\(userID) is now an admin")
            }
        }
    }
}
