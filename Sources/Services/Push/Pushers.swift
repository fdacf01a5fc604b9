import Foundation
import MatrixProtocol
import Store

/// Pushers (spec `/pushers`, `/pushers/set`): stored and listed; `PushSender` delivers to the
/// gateways of `http` pushers.
public final class Pushers: Sendable {
    let database: Database
    let clock: Clock

    init(database: Database, clock: Clock) {
        self.database = database
        self.clock = clock
    }

    public func list(userID: String) async throws -> JSONObject {
        let pushers = try await database.pushers(of: userID)
        return ["pushers": .array(pushers.map { pusher in
            var out: JSONObject = [
                "pushkey": .string(pusher.pushkey), "kind": .string(pusher.kind), "app_id": .string(pusher.appID),
                "app_display_name": .string(pusher.appDisplayName), "device_display_name": .string(pusher.deviceDisplayName),
                "lang": .string(pusher.lang), "data": .object((try? JSONParser.parseObject(pusher.data)) ?? [:]),
            ]
            if let tag = pusher.profileTag { out["profile_tag"] = .string(tag) }
            return .object(out)
        })]
    }

    /// `POST /pushers/set`: `kind: null` deletes, anything else creates or replaces.
    /// `deviceID`: the device whose session sets the pusher (its logout removes the pusher).
    public func set(userID: String, deviceID: String? = nil, body: JSONObject) async throws {
        func string(_ key: String, required: Bool, max: Int? = nil) throws(MatrixError) -> String? {
            guard let value = body[key], !value.isNull else {
                if required { throw MatrixError.missingParam("Missing '\(key)'") }
                return nil
            }
            guard let text = value.stringValue else { throw MatrixError.badJSON("'\(key)' must be a string") }
            if let max, text.utf8.count > max { throw MatrixError.invalidParam("'\(key)' is longer than \(max) bytes") }
            return text
        }
        guard body["kind"] != nil else { throw MatrixError.missingParam("Missing 'kind'") }
        let appID = try string("app_id", required: true, max: 64)!
        let pushkey = try string("pushkey", required: true, max: 512)!
        guard let kind = try string("kind", required: false) else {
            try await database.deletePusher(userID: userID, appID: appID, pushkey: pushkey)
            return
        }
        guard kind == "http" || kind == "email" else { throw MatrixError.invalidParam("Unknown pusher kind '\(kind)'") }
        guard let data = body["data"]?.objectValue else { throw MatrixError.missingParam("Missing 'data' object") }
        if kind == "http" {
            guard let url = data["url"]?.stringValue else { throw MatrixError.missingParam("An http pusher needs data.url") }
            // The spec wants HTTPS; plain HTTP is accepted for gateways on a private network.
            guard let parsed = URL(string: url), ["https", "http"].contains(parsed.scheme ?? ""), parsed.path == "/_matrix/push/v1/notify" else {
                throw MatrixError.invalidParam("data.url must be an HTTPS URL with the path /_matrix/push/v1/notify")
            }
        }
        if let format = data["format"], format != "event_id_only" {
            throw MatrixError.invalidParam("data.format must be \"event_id_only\" when given")
        }
        var append = false
        if let value = body["append"] {
            guard let flag = value.boolValue else { throw MatrixError.badJSON("'append' must be a boolean") }
            append = flag
        }
        let pusher = Pusher(userID: userID, appID: appID, pushkey: pushkey, kind: kind,
                            appDisplayName: try string("app_display_name", required: true)!,
                            deviceDisplayName: try string("device_display_name", required: true)!,
                            profileTag: try string("profile_tag", required: false), lang: try string("lang", required: true)!,
                            data: JSONValue.object(data).encodedBytes())
        try await database.setPusher(pusher, append: append, deviceID: deviceID, now: clock.nowMillis())
    }
}
