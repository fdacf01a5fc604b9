import Hummingbird

/// Collects the routes of the APIs and remembers their path patterns, so an unmatched request
/// can be told apart as unknown path (404) or wrong method (405), as the spec asks.
/// Hummingbird applies a middleware only to routes added after it, so routes are collected
/// first and installed on the router once its middleware is in place.
public final class RouteTable {
    public typealias Handler = @Sendable (Request, ApusRequestContext) async throws -> Response

    private var routes: [(method: HTTPRequest.Method, path: String, handler: Handler)] = []

    public init() {}

    /// Adds a route. Path parameters are `:name`; a trailing `**` matches the rest of the path.
    public func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        routes.append((method, path, handler))
        if method == .get { routes.append((.head, path, handler)) }
    }

    public func get(_ path: String, _ handler: @escaping Handler) { on(.get, path, handler) }
    public func post(_ path: String, _ handler: @escaping Handler) { on(.post, path, handler) }
    public func put(_ path: String, _ handler: @escaping Handler) { on(.put, path, handler) }
    public func delete(_ path: String, _ handler: @escaping Handler) { on(.delete, path, handler) }

    /// An immutable snapshot of the registered paths, for the error middleware.
    public var index: RouteIndex {
        RouteIndex(patterns: routes.map { ($0.method, Self.segments($0.path)) })
    }

    /// Adds every collected route to `router`, after its middleware.
    public func install(on router: Router<ApusRequestContext>) {
        for route in routes {
            let handler = route.handler
            router.on(RouterPath(route.path), method: route.method) { request, context in try await handler(request, context) }
        }
    }

    static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

/// Which methods a path is registered for.
public struct RouteIndex: Sendable {
    let patterns: [(method: HTTPRequest.Method, segments: [Substring])]

    public func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let parts = RouteTable.segments(path)
        var methods: [HTTPRequest.Method] = []
        for p in patterns where Self.matches(p.segments, parts) && !methods.contains(p.method) {
            methods.append(p.method)
        }
        return methods
    }

    /// The registered pattern a path matches (a metrics label that does not grow with IDs).
    public func pattern(for path: String) -> String? {
        let parts = RouteTable.segments(path)
        guard let match = patterns.first(where: { Self.matches($0.segments, parts) }) else { return nil }
        return "/" + match.segments.joined(separator: "/")
    }

    static func matches(_ pattern: [Substring], _ parts: [Substring]) -> Bool {
        for (n, seg) in pattern.enumerated() {
            if seg == "**" { return parts.count > n }
            guard n < parts.count else { return false }
            if !(seg.hasPrefix(":") || seg == "*" || seg == parts[n]) { return false }
        }
        return pattern.count == parts.count
    }
}
