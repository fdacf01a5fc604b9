import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a host name into addresses. A protocol so tests can make a name resolve anywhere.
public protocol HostResolver: Sendable {
    func addresses(of host: String, deadline: NIODeadline) async throws(OutboundError) -> [IPAddress]
}

/// `getaddrinfo` on NIO's blocking thread pool. The lookup cannot be cancelled, so past the
/// deadline the caller stops waiting for it (its thread finishes on its own).
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func addresses(of host: String, deadline: NIODeadline) async throws(OutboundError) -> [IPAddress] {
        let result: Result<[IPAddress], OutboundError> = await withCheckedContinuation { continuation in
            let once = Mutex(Optional(continuation))
            let finish: @Sendable (Result<[IPAddress], OutboundError>) -> Void = { result in
                once.withLock { $0.take() }?.resume(returning: result)
            }
            let timer = MultiThreadedEventLoopGroup.singleton.next().scheduleTask(deadline: deadline) { finish(.failure(.timedOut)) }
            NIOThreadPool.singleton.submit { state in
                guard case .active = state else { return finish(.failure(.unresolvable("\(host): resolver shut down"))) }
                let result = Self.lookUp(host)
                timer.cancel()
                finish(result)
            }
        }
        return try result.get()
    }

    /// Blocking getaddrinfo: call it off the event loop and the cooperative pool.
    public static func lookUp(_ host: String) -> Result<[IPAddress], OutboundError> {
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            return .failure(.unresolvable("\(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(first) }
        var out: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch Int32(info.pointee.ai_family) {
                case AF_INET:
                    let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                    }
                    if let ip = IPAddress(bytes: bytes) { out.append(ip) }
                case AF_INET6:
                    let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    if let ip = IPAddress(bytes: bytes) { out.append(ip) }
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        var unique: [IPAddress] = []
        for ip in out where !unique.contains(ip) { unique.append(ip) }
        return unique.isEmpty ? .failure(.unresolvable("\(host): no address")) : .success(unique)
    }
}
