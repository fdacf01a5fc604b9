import Foundation

/// Base URLs handed to clients: absolute http(s) URLs ending with "/", so paths can be appended.
enum HTTPBaseURL {
    static func normalise(_ text: String) throws(ValueProblem) -> String {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw ValueProblem("expected an http:// or https:// URL without query or fragment, found \"\(text)\"")
        }
        return text.hasSuffix("/") ? text : text + "/"
    }
}
