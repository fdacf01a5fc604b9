import APICore
import Hummingbird
import MatrixProtocol
import Services

/// `GET /account/whoami`, `POST /account/password`, `POST /account/deactivate`.
enum Account {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.get, "/account/whoami") { request, _ in
            let requester = try await hs.requester(request)
            return .json(["user_id": .string(requester.userID), "device_id": .string(requester.deviceID),
                          "is_guest": .bool(requester.isGuest)])
        }
        routes.client(.post, "/account/password") { request, context in
            let requester = try await hs.requester(request)
            guard !requester.isGuest else { throw MatrixError.guestAccessForbidden() }
            let body = try await request.jsonObject(context: context)
            let newPassword = try body.requiredString("new_password")
            let logoutDevices = try body.optionalBool("logout_devices") ?? true
            _ = try await hs.accounts.uia.authenticate(
                auth: try body.optionalObject("auth"), flows: [[.password]], operation: "password:\(requester.userID)",
                validate: hs.accounts.stageValidator(for: requester.userID))
            try await hs.accounts.changePassword(requester, newPassword: newPassword, logoutDevices: logoutDevices)
            return .json([:])
        }
        routes.client(.post, "/account/deactivate") { request, context in
            let requester = try await hs.requester(request)
            guard !requester.isGuest else { throw MatrixError.guestAccessForbidden() }
            let body = try await request.jsonObject(context: context)
            _ = try await hs.accounts.uia.authenticate(
                auth: try body.optionalObject("auth"), flows: [[.password]], operation: "deactivate:\(requester.userID)",
                validate: hs.accounts.stageValidator(for: requester.userID))
            try await hs.deactivateAccount(requester.userID)
            return .json(["id_server_unbind_result": "no-support"])
        }
    }
}
