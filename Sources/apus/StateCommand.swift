import ArgumentParser
import Foundation
import MatrixProtocol

struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Room state tools for admins and debugging.",
        subcommands: [Resolve.self])

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve room state sets with the algorithm of a room version.",
            discussion: """
                --events is a JSON array of PDUs; an event without `event_id` gets the ID its room
                version computes. Each --state-set is a JSON array of event IDs (the events' state
                keys place them). Prints the resolved state as a sorted JSON array of event IDs.
                Without --state-set, every state event of --events is its own state set.
                Works offline on files: no server or database is involved.
                """)

        @Option(name: .customLong("room-version"), help: "The room version whose rules apply (1-12).")
        var roomVersion: String

        @Option(help: ArgumentHelp("JSON file: an array of PDUs.", valueName: "file"))
        var events: String

        @Option(name: .customLong("state-set"), help: ArgumentHelp("JSON file: an array of event IDs. Repeat for each set.", valueName: "file"))
        var stateSets: [String] = []

        @Flag(help: "Also explain, per conflicted (type, state_key), the candidates and which step decided.")
        var explain = false

        func run() throws {
            guard let version = RoomVersion.named(roomVersion) else { fail("unsupported room version '\(roomVersion)'") }
            let list = try readArray(events, what: "events")
            var byID: [String: PDU] = [:]
            var order: [PDU] = []
            for (i, item) in list.enumerated() {
                guard let object = item.objectValue else { fail("\(events): entry \(i) is not a JSON object") }
                let pdu: PDU
                do { pdu = try PDU(json: object, version: version) } catch {
                    fail("\(events): entry \(i) (\(object["event_id"]?.stringValue ?? "no event_id")): \(error)")
                }
                guard byID[pdu.eventID] == nil else { fail("\(events): event \(pdu.eventID) appears twice") }
                byID[pdu.eventID] = pdu
                order.append(pdu)
            }
            var sets: [StateMap] = []
            if stateSets.isEmpty {
                sets = order.compactMap { e in e.stateKeyPair.map { [$0: e.eventID] } }
            }
            for file in stateSets {
                var set = StateMap()
                for (i, item) in try readArray(file, what: "state set").enumerated() {
                    guard let id = item.stringValue else { fail("\(file): entry \(i) is not an event ID string") }
                    guard let pdu = byID[id] else { fail("\(file): event \(id) is not in \(events)") }
                    guard let key = pdu.stateKeyPair else { fail("\(file): event \(id) is not a state event") }
                    guard set[key] == nil else { fail("\(file): two events for \(key): \(set[key]!) and \(id)") }
                    set[key] = id
                }
                sets.append(set)
            }
            let result: (state: StateMap, steps: [ResolutionStep])
            do {
                result = try StateResolution.resolveExplained(sets, version: version) { byID[$0] }
            } catch {
                fail("cannot resolve: \(error) (add it to \(events))")
            }
            print(JSONValue(result.state.values.sorted()).encodedString())
            guard explain else { return }
            for step in result.steps {
                var line = "\(step.key.type) \"\(step.key.stateKey)\": "
                line += "candidates \(step.candidates.joined(separator: ", ")); winner \(step.winner ?? "none"); \(step.decidedBy)"
                FileHandle.standardError.write(Data((line + "\n").utf8))
                for (id, reason) in step.rejected.sorted(by: { $0.key < $1.key }) {
                    FileHandle.standardError.write(Data("    rejected \(id): \(reason)\n".utf8))
                }
            }
        }

        func readArray(_ path: String, what: String) throws -> [JSONValue] {
            guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(what) file \(path)") }
            let value: JSONValue
            do { value = try JSONParser.parse(Array(data)) } catch { fail("\(path): not valid JSON: \(error)") }
            guard let array = value.arrayValue else { fail("\(path): expected a JSON array") }
            return array
        }

        func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("apus state resolve: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}
