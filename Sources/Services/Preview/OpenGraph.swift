import Foundation
import MatrixProtocol

/// The OpenGraph object of a page (https://ogp.me): its `og:*` meta tags, with Twitter card
/// tags, `<title>` and `<meta name="description">` as fallbacks. Values are strings, but for
/// image dimensions, which are numbers when they are numeric.
enum OpenGraph {
    /// Longer keys are dropped, and longer values dropped (URLs, where a cut one is useless) or
    /// cut (text), as Synapse does, so one page cannot bloat every client's timeline.
    static let maxKeyLength = 50
    static let maxValueLength = 1000
    /// More `og:*` tags than any real page has.
    static let maxTags = 50

    static func parse(html: String) -> JSONObject {
        from(HTMLScanner.scan(html))
    }

    static func from(_ page: HTMLScanner.Result) -> JSONObject {
        var og: JSONObject = [:]
        var fallbacks: [String: String] = [:]
        for meta in page.metas {
            guard let content = meta["content"] else { continue }
            // `property` is the standard; many pages use `name` for og tags too.
            for key in [meta["property"], meta["name"]].compactMap({ $0?.lowercased() }) {
                if key.hasPrefix("og:"), og[key] == nil, og.count < maxTags, key.utf8.count <= maxKeyLength {
                    og[key] = .string(content)
                } else if ["twitter:title", "twitter:description", "twitter:image", "twitter:image:src", "description"].contains(key),
                          fallbacks[key] == nil {
                    fallbacks[key] = content
                }
            }
        }
        if og["og:title"] == nil, let title = fallbacks["twitter:title"] ?? page.title { og["og:title"] = .string(title) }
        if og["og:description"] == nil, let text = fallbacks["twitter:description"] ?? fallbacks["description"] {
            og["og:description"] = .string(text)
        }
        if og["og:image"] == nil, let image = og["og:image:url"]?.stringValue ?? og["og:image:secure_url"]?.stringValue
            ?? fallbacks["twitter:image"] ?? fallbacks["twitter:image:src"] {
            og["og:image"] = .string(image)
        }
        return cleaned(og)
    }

    private static func cleaned(_ og: JSONObject) -> JSONObject {
        var out: JSONObject = [:]
        for (key, value) in og {
            guard var text = value.stringValue else { continue }
            if key == "og:title" || key == "og:description" || key == "og:site_name" {
                text = HTMLScanner.collapsed(text)
                if text.count > maxValueLength { text = String(text.prefix(maxValueLength - 1)) + "…" }
            } else {
                text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard !text.isEmpty, text.count <= maxValueLength else { continue }
            if key == "og:image:width" || key == "og:image:height" {
                if let number = Int64(text), number >= 0 { out[key] = .int(number) }
                continue
            }
            out[key] = .string(text)
        }
        return out
    }
}
