import CResolv
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blocking DNS calls (libresolv SRV queries, getaddrinfo), run on NIO's blocking thread pool
/// so neither the event loop nor Swift's cooperative pool is stalled.
enum SystemResolver {
    /// The SRV records of `name`; empty when there are none or the lookup failed.
    static func srv(_ name: String) async -> [SRVRecord] {
        let bytes: [UInt8]? = try? await NIOThreadPool.singleton.runIfActive {
            var answer = [UInt8](repeating: 0, count: 65535)
            let length = answer.withUnsafeMutableBufferPointer { buffer in
                apus_query_srv(name, buffer.baseAddress, Int32(buffer.count))
            }
            guard length > 0 else { return nil }
            return Array(answer.prefix(Int(length)))
        }
        guard let bytes else { return [] }
        return (try? DNSMessageParser(bytes: bytes).srvRecords()) ?? []
    }

    /// The IPv4 and IPv6 addresses of `host` (an IP literal, possibly bracketed, is returned as is).
    static func addresses(host: String, port: Int) async throws(FederationClientError) -> [SocketAddress] {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let ip = try? SocketAddress(ipAddress: bare, port: port) { return [ip] }
        let result: Result<[SocketAddress], FederationClientError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { lookUp(bare, port: port) }
        } catch {
            throw .unreachable("cannot resolve \(bare): \(error)")
        }
        return try result.get()
    }

    private static func lookUp(_ host: String, port: Int) -> Result<[SocketAddress], FederationClientError> {
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(.unreachable("cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(first) }
        var out: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch Int32(info.pointee.ai_family) {
                case AF_INET:
                    out.append(address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                case AF_INET6:
                    out.append(address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        return out.isEmpty ? .failure(.unreachable("\(host) has no address")) : .success(out)
    }
}
