import APICore
import Hummingbird
import MatrixProtocol
import Services
import Store

/// `GET /devices`, `GET/PUT/DELETE /devices/{deviceId}`, `POST /delete_devices`.
enum Devices {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.get, "/devices") { request, _ in
            let requester = try await hs.requester(request)
            let devices = try await hs.accounts.devices(of: requester.userID)
            return .json(["devices": .array(devices.map { .object(json($0)) })])
        }
        routes.client(.get, "/devices/:deviceID") { request, context in
            let requester = try await hs.requester(request)
            let id = try context.parameters.require("deviceID")
            return .json(json(try await hs.accounts.device(id, of: requester.userID)))
        }
        routes.client(.put, "/devices/:deviceID") { request, context in
            let requester = try await hs.requester(request)
            let id = try context.parameters.require("deviceID")
            let body = try await request.jsonObject(context: context)
            try await hs.accounts.renameDevice(id, of: requester.userID, to: try body.optionalString("display_name"))
            return .json([:])
        }
        routes.client(.delete, "/devices/:deviceID") { request, context in
            let requester = try await hs.requester(request)
            let id = try context.parameters.require("deviceID")
            _ = try await hs.accounts.device(id, of: requester.userID)  // 404 before asking to authenticate
            let body = try await request.jsonObject(context: context)
            try await authenticate(body, requester: requester, hs: hs)
            try await hs.accounts.deleteDevices([id], of: requester.userID)
            return .json([:])
        }
        routes.client(.post, "/delete_devices") { request, context in
            let requester = try await hs.requester(request)
            let body = try await request.jsonObject(context: context)
            guard let ids = try body.optionalStringArray("devices") else { throw MatrixError.missingParam("Missing 'devices'") }
            try await authenticate(body, requester: requester, hs: hs)
            try await hs.accounts.deleteDevices(ids, of: requester.userID)
            return .json([:])
        }
    }

    private static func authenticate(_ body: JSONObject, requester: Requester, hs: Homeserver) async throws {
        _ = try await hs.accounts.uia.authenticate(
            auth: try body.optionalObject("auth"), flows: [[.password]], operation: "delete_devices:\(requester.userID)",
            validate: hs.accounts.stageValidator(for: requester.userID))
    }

    static func json(_ d: DeviceRecord) -> JSONObject {
        var o: JSONObject = ["device_id": .string(d.deviceID), "user_id": .string(d.userID)]
        if let name = d.displayName { o["display_name"] = .string(name) }
        if let ts = d.lastSeenTS { o["last_seen_ts"] = .int(ts) }
        if let ip = d.lastSeenIP { o["last_seen_ip"] = .string(ip) }
        return o
    }
}
