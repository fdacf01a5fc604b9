import APICore
import Hummingbird
import MatrixProtocol
import Services
import Store

/// `GET /profile/{userId}` and `GET/PUT /profile/{userId}/{displayname|avatar_url}`.
enum ProfileEndpoints {
    static func register(on routes: RouteTable, homeserver hs: Homeserver) {
        routes.client(.get, "/profile/:userID") { request, context in
            _ = try await hs.requester(request)
            let profile = try await hs.profiles.profile(of: try context.pathParameter("userID"))
            return .json(json(profile, fields: Profiles.Field.allCases))
        }
        for field in Profiles.Field.allCases {
            routes.client(.get, "/profile/:userID/\(field.rawValue)") { request, context in
                _ = try await hs.requester(request)
                let profile = try await hs.profiles.profile(of: try context.pathParameter("userID"))
                let body = json(profile, fields: [field])
                guard !body.isEmpty else { throw MatrixError.notFound("No \(field.rawValue) set") }
                return .json(body)
            }
            routes.client(.put, "/profile/:userID/\(field.rawValue)") { request, context in
                let requester = try await hs.requester(request)
                let body = try await request.jsonObject(context: context)
                guard body[field.rawValue] != nil else { throw MatrixError.missingParam("Missing '\(field.rawValue)'") }
                try await hs.profiles.set(field, to: try body.optionalString(field.rawValue), for: requester,
                                          userID: try context.pathParameter("userID"))
                return .json([:])
            }
        }
    }

    static func json(_ profile: Profile, fields: [Profiles.Field]) -> JSONObject {
        var out = JSONObject()
        if fields.contains(.displayname), let name = profile.displayname { out["displayname"] = .string(name) }
        if fields.contains(.avatarURL), let url = profile.avatarURL { out["avatar_url"] = .string(url) }
        return out
    }
}
