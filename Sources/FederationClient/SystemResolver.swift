import CResolv
import NIOCore
import NIOPosix
import Outbound
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
        switch SystemHostResolver.lookUp(host) {
        case .failure(let error):
            return .failure(.unreachable("cannot resolve \(host): \(error)"))
        case .success(let addresses):
            let out = addresses.compactMap { try? SocketAddress(ipAddress: $0.description, port: port) }
            return out.isEmpty ? .failure(.unreachable("\(host) has no address")) : .success(out)
        }
    }
}
