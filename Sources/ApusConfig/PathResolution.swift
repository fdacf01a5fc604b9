import Foundation

/// Lexical path resolution: no file system access, so configuration loading does not depend on
/// which directories exist yet (data_dir is created later, on first start).
enum PathResolution {
    static func absolute(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") { return normalise(path) }
        // A relative base (only possible when a caller passes one) is taken from the working directory.
        let absoluteBase = base.hasPrefix("/") ? base : FileManager.default.currentDirectoryPath + "/" + base
        return normalise(absoluteBase + "/" + path)
    }

    /// Removes "", "." and resolves ".." components; ".." above the root stays at the root.
    static func normalise(_ absolutePath: String) -> String {
        var parts: [Substring] = []
        for part in absolutePath.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
