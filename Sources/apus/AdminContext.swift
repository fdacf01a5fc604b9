import ApusConfig
import ArgumentParser
import Foundation
import Logging
import MatrixProtocol
import Services
import Store

/// The admin commands talk to the running server's admin API when its (plain-HTTP) client
/// listener answers, with an admin token minted for the run; otherwise they work on the
/// database directly through the same services.
struct AdminContext {
    let homeserver: Homeserver
    let backend: any AdminBackend
    /// The device of the minted token, removed again at the end.
    let toolDevice: (userID: String, deviceID: String)?

    static func open(_ options: ConfigOption) async throws -> AdminContext {
        let config = try options.load()
        guard FileManager.default.fileExists(atPath: config.databasePath) else {
            FileHandle.standardError.write(Data("no database at \(config.databasePath): start the server once, or pass --config\n".utf8))
            throw ExitCode(66)  // EX_NOINPUT
        }
        var logger = Logger(label: "apus.admin")
        logger.logLevel = .warning
        let (key, _) = try SigningKeyFile.loadOrCreate(path: config.signingKeyPath)
        let database = try Database(path: config.databasePath, logger: logger)
        let homeserver = try await Homeserver(config: config, signingKey: key, database: database, logger: logger)
        if let base = await APIBackend.runningServer(config) {
            // A system admin for tools; it has no password, so nobody logs in as it.
            let tool = "@apus-cli:\(config.serverName)"
            if try await database.adminUser(tool) == nil {
                _ = try await homeserver.accounts.register(localpart: "apus-cli", password: nil, deviceID: nil, displayName: nil,
                                                           inhibitLogin: true, wantsRefreshToken: false, guest: false)
            }
            try await database.setAdmin(true, userID: tool)
            let login = try await homeserver.accounts.toolSession(userID: tool, lifetimeMs: 10 * 60 * 1000)
            return AdminContext(homeserver: homeserver, backend: APIBackend(base: base, token: login.accessToken),
                                toolDevice: (tool, login.deviceID))
        }
        return AdminContext(homeserver: homeserver, backend: DirectBackend(homeserver: homeserver), toolDevice: nil)
    }

    func close() async {
        if let toolDevice { try? await homeserver.database.deleteDevices([toolDevice.deviceID], of: toolDevice.userID) }
        try? await homeserver.database.close()
    }

    /// A full user ID from a localpart or ID.
    func userID(_ name: String) -> String {
        name.hasPrefix("@") ? name : "@\(name):\(homeserver.serverName)"
    }

    /// Runs `body`, printing a MatrixError as a one-line message with a failing exit code.
    func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
            await close()
        } catch let error as MatrixError {
            await close()
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(1)
        } catch {
            await close()
            throw error
        }
    }
}

/// `--json` or a table.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func print(_ value: JSONValue, columns: [(title: String, key: String)], rows: [JSONValue]) {
        if json {
            Swift.print(String(decoding: value.encodedBytes(), as: UTF8.self))
            return
        }
        let cells = rows.map { row in columns.map { Self.text(row[$0.key]) } }
        var widths = columns.map(\.title.count)
        for line in cells { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ items: [String]) -> String {
            zip(items, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        Swift.print(line(columns.map(\.title)))
        for row in cells { Swift.print(line(row)) }
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: s
        case .int(let i)?: String(i)
        case .bool(let b)?: b ? "yes" : "no"
        case nil, .null?: "-"
        case let other?: String(decoding: other.encodedBytes(), as: UTF8.self)
        }
    }
}

/// Reads a password from a file (first line), or asks for it on the terminal without echo.
func readPassword(file: String?) throws -> String {
    if let file {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let first = text.split(separator: "\n", omittingEmptySubsequences: false).first, !first.isEmpty else {
            FileHandle.standardError.write(Data("cannot read a password from \(file)\n".utf8))
            throw ExitCode(66)
        }
        return String(first)
    }
    guard isatty(STDIN_FILENO) == 1, let first = getpass("Password: ").map({ String(cString: $0) }), !first.isEmpty,
          let second = getpass("Password (again): ").map({ String(cString: $0) }) else {
        FileHandle.standardError.write(Data("no password: use --password-file when not on a terminal\n".utf8))
        throw ExitCode(64)
    }
    guard first == second else {
        FileHandle.standardError.write(Data("the passwords differ\n".utf8))
        throw ExitCode(1)
    }
    return first
}
