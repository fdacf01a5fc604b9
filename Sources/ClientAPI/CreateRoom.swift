import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `POST /createRoom`.
enum CreateRoom {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.post, "/createRoom") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            var options = RoomCreationRequest(creator: requester.userID)
            options.version = try body.optionalString("room_version")
            if let preset = try body.optionalString("preset") {
                guard let p = RoomCreationRequest.Preset(rawValue: preset) else {
                    throw MatrixError.invalidParam("Unknown preset '\(preset)'")
                }
                options.preset = p
            }
            switch try body.optionalString("visibility") ?? "private" {
            case "public": options.visibilityPublic = true
            case "private": options.visibilityPublic = false
            case let other: throw MatrixError.invalidParam("Unknown visibility '\(other)'")
            }
            options.name = try body.optionalString("name")
            options.topic = try body.optionalString("topic")
            options.aliasLocalpart = try body.optionalString("room_alias_name")
            options.invite = try body.optionalStringArray("invite") ?? []
            options.isDirect = try body.optionalBool("is_direct") ?? false
            options.creationContent = try body.optionalObject("creation_content") ?? [:]
            options.powerLevelOverride = try body.optionalObject("power_level_content_override")
            if let initial = body["initial_state"] {
                guard let items = initial.arrayValue else { throw MatrixError.badJSON("'initial_state' must be an array") }
                for item in items {
                    guard let entry = item.objectValue else { throw MatrixError.badJSON("initial_state entries must be objects") }
                    let type = try entry.requiredString("type")
                    let stateKey = try entry.optionalString("state_key") ?? ""
                    guard let content = try entry.optionalObject("content") else { throw MatrixError.missingParam("initial_state entry without content") }
                    options.initialState.append((type, stateKey, content))
                }
            }
            if body["invite_3pid"]?.arrayValue?.isEmpty == false {
                throw MatrixError("M_UNRECOGNIZED", "Third-party invites are not supported", status: 400)
            }
            let roomID = try await hs.rooms.create(options)
            var response: JSONObject = ["room_id": .string(roomID)]
            if let alias = options.aliasLocalpart { response["room_alias"] = .string("#\(alias):\(hs.serverName)") }
            return .json(response)
        }
    }
}
