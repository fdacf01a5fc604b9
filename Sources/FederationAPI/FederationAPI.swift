import APICore
import Services

/// The Server-Server API, split by concern (keys, version, and later membership, transactions…).
public enum FederationAPI {
    public static func register(on routes: RouteTable, homeserver: Homeserver) {
        KeyServer.register(on: routes, homeserver: homeserver)
        KeyQuery.register(on: routes, homeserver: homeserver)
        Version.register(on: routes)
        Transactions.register(on: routes, homeserver: homeserver)
        MembershipEndpoints.register(on: routes, homeserver: homeserver)
        HistoryEndpoints.register(on: routes, homeserver: homeserver)
        QueryEndpoints.register(on: routes, homeserver: homeserver)
        UserKeysEndpoints.register(on: routes, homeserver: homeserver)
        MediaEndpoints.register(on: routes, homeserver: homeserver)
        OpenIDEndpoints.register(on: routes, homeserver: homeserver)
        HierarchyEndpoints.register(on: routes, homeserver: homeserver)
    }

    /// Only the key server (`/_matrix/key/v2/server`), for listeners without `federation`.
    public static func registerKeyServer(on routes: RouteTable, homeserver: Homeserver) {
        KeyServer.register(on: routes, homeserver: homeserver)
    }
}
