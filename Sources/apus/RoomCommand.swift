import ArgumentParser
import Foundation
import MatrixProtocol
import Services

struct RoomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "room",
        abstract: "Inspect and delete rooms (through the running server's admin API when it is up, else on the database).",
        subcommands: [List.self, Info.self, Delete.self])

    static let columns = [("room", "room_id"), ("name", "name"), ("version", "version"), ("members", "joined_members"),
                          ("local", "joined_local_members"), ("public", "public")]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rooms.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                let answer = try await context.backend.rooms()
                output.print(.object(answer), columns: RoomCommand.columns, rows: answer["rooms"]?.arrayValue ?? [])
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a room's details and members.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var output: OutputOptions
        @Argument(help: "Room ID.") var roomID: String

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                var room = try await context.backend.room(roomID)
                room["members"] = try await context.backend.roomMembers(roomID)["members"]
                if output.json {
                    output.print(.object(room), columns: [], rows: [])
                } else {
                    for (key, value) in room { print("\(key.padding(toLength: 22, withPad: " ", startingAt: 0)) \(OutputOptions.text(value))") }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make local members leave and unlist the room; --purge removes every row of it.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "Room ID.") var roomID: String
        @Flag(help: "Delete the room's events and state from the database too.") var purge = false

        func run() async throws {
            let context = try await AdminContext.open(options)
            try await context.run {
                let answer = try await context.backend.deleteRoom(roomID, purge: purge)
                print("room \(roomID) deleted\(purge ? " and purged" : ""); members removed: \(OutputOptions.text(answer["kicked_users"]))")
            }
        }
    }
}
