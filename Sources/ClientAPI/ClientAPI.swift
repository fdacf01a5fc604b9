import APICore
import Services

/// The Client-Server API: one file per spec module, each adding its routes here.
public enum ClientAPI {
    public static func register(on routes: RouteTable, homeserver: Homeserver) {
        Versions.register(on: routes)
        WellKnown.register(on: routes, homeserver: homeserver)
    }
}
