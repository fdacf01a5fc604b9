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

    /// `handler` run in Swift's global pool instead of on the event loop that read the request:
    /// for work that grows with what it is asked about (a room's state or history, a
    /// transaction of many PDUs), which on the loop would hold up every other request of that
    /// loop (one per core but one, by default) until done. Costs a hop each way.
    public static func inPool(_ handler: @escaping Handler) -> Handler {
        { request, context in
            try await withTaskExecutorPreference(globalConcurrentExecutor) { try await handler(request, context) }
        }
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

/// Which methods a path is registered for (looked up among the patterns of the path's length
/// only), and the pattern of the route the router ran (the metrics label of every request).
public struct RouteIndex: Sendable {
    struct Pattern: Sendable {
        let method: HTTPRequest.Method
        let segments: [Substring]
        /// Per segment: a parameter (`:name`, `*`) matching any value.
        let parameter: [Bool]
        let wildcardTail: Bool
        let text: String
    }

    let patterns: [Pattern]
    /// Patterns of a fixed number of segments, by that number, in registration order.
    let byLength: [Int: [Int]]
    /// Patterns ending in `**`, in registration order.
    let tails: [Int]
    /// Pattern text by the path Hummingbird's router reports for the route it ran
    /// (`endpointPath`: `{roomID}` where the pattern says `:roomID`).
    let byEndpoint: [String: String]

    init(patterns list: [(method: HTTPRequest.Method, segments: [Substring])]) {
        patterns = list.map { method, segments in
            Pattern(method: method, segments: segments, parameter: segments.map { $0.hasPrefix(":") || $0 == "*" },
                    wildcardTail: segments.last == "**", text: "/" + segments.joined(separator: "/"))
        }
        var byLength: [Int: [Int]] = [:]
        var tails: [Int] = []
        for (i, p) in patterns.enumerated() {
            if p.wildcardTail { tails.append(i) } else { byLength[p.segments.count, default: []].append(i) }
        }
        self.byLength = byLength
        self.tails = tails
        var byEndpoint: [String: String] = [:]
        for p in patterns {
            let endpoint = RouterPath(p.text).description
            if byEndpoint[endpoint] == nil { byEndpoint[endpoint] = p.text }
        }
        self.byEndpoint = byEndpoint
    }

    /// Indices of the patterns `parts` matches, in registration order.
    private func matching(_ parts: [Substring]) -> [Int] {
        let candidates = ((byLength[parts.count] ?? []) + tails).sorted()
        return candidates.filter { Self.matches(patterns[$0], parts) }
    }

    public func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        var methods: [HTTPRequest.Method] = []
        for i in matching(RouteTable.segments(path)) where !methods.contains(patterns[i].method) {
            methods.append(patterns[i].method)
        }
        return methods
    }

    /// The registered pattern of the route the router ran (a metrics label that does not grow
    /// with IDs), from the router's `endpointPath`: no second match of the path per request.
    /// Nil for a request no route took.
    public func pattern(forEndpoint endpoint: String?) -> String? {
        endpoint.flatMap { byEndpoint[$0] }
    }

    static func matches(_ pattern: Pattern, _ parts: [Substring]) -> Bool {
        for (n, seg) in pattern.segments.enumerated() {
            if pattern.wildcardTail && n == pattern.segments.count - 1 { return parts.count > n }
            guard n < parts.count else { return false }
            if !(pattern.parameter[n] || seg == parts[n]) { return false }
        }
        return pattern.segments.count == parts.count
    }
}
