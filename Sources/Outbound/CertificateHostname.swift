import NIOSSL

/// The strict host name check NIOSSL lacks: its verification also accepts a certificate whose
/// IP entry matches the connected address when the name does not match. One of the
/// certificate's DNS names must match the URL's host (RFC 6125; a wildcard only as the whole
/// leftmost label). Federation's client uses it too.
public enum CertificateHostname {
    public static func dnsNames(of certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { name in
            name.nameType == .dnsName ? String(decoding: Array(name.contents), as: UTF8.self) : nil
        }
    }

    public static func matches(_ names: [String], host: String) -> Bool {
        let wanted = normalised(host)
        guard !wanted.isEmpty else { return false }
        return names.contains { name in
            let pattern = normalised(name)
            if pattern == wanted { return true }
            guard pattern.hasPrefix("*."), let dot = wanted.firstIndex(of: ".") else { return false }
            let suffix = pattern.dropFirst(2)
            return dot != wanted.startIndex && suffix.contains(".") && wanted[wanted.index(after: dot)...] == suffix
        }
    }

    private static func normalised(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }
}
