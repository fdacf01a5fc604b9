import APICore
import Services

/// The Client-Server API: one file per spec module, each adding its routes here.
public enum ClientAPI {
    public static func register(on routes: RouteTable, homeserver: Homeserver) {
        // The router tries a node's children in the order they were added: the routes of every
        // message and every sync go first.
        RoomEvents.register(on: routes, homeserver: homeserver)
        SyncEndpoint.register(on: routes, homeserver: homeserver)
        Versions.register(on: routes)
        WellKnown.register(on: routes, homeserver: homeserver)
        Register.register(on: routes, homeserver: homeserver)
        Login.register(on: routes, homeserver: homeserver)
        Account.register(on: routes, homeserver: homeserver)
        Devices.register(on: routes, homeserver: homeserver)
        Capabilities.register(on: routes, homeserver: homeserver)
        CreateRoom.register(on: routes, homeserver: homeserver)
        RoomMembership.register(on: routes, homeserver: homeserver)
        ProfileEndpoints.register(on: routes, homeserver: homeserver)
        Directory.register(on: routes, homeserver: homeserver)
        AccountDataEndpoints.register(on: routes, homeserver: homeserver)
        PresenceEndpoints.register(on: routes, homeserver: homeserver)
        RelationsEndpoints.register(on: routes, homeserver: homeserver)
        AdminEndpoints.register(on: routes, homeserver: homeserver)
        KeysEndpoints.register(on: routes, homeserver: homeserver)
        ToDeviceEndpoints.register(on: routes, homeserver: homeserver)
        KeyBackupEndpoints.register(on: routes, homeserver: homeserver)
        MediaUpload.register(on: routes, homeserver: homeserver)
        MediaDownload.register(on: routes, homeserver: homeserver)
        URLPreviewEndpoints.register(on: routes, homeserver: homeserver)
        PushRulesEndpoints.register(on: routes, homeserver: homeserver)
        OpenID.register(on: routes, homeserver: homeserver)
        SpaceHierarchy.register(on: routes, homeserver: homeserver)
    }
}
