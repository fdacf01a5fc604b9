import ApusConfig
import Testing

/// The issues `parse` reports for `text`; records a test failure when it parses cleanly.
func issues(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigError.Issue] {
    do {
        _ = try ApusConfiguration.parse(toml: text, baseDirectory: "/base")
        Issue.record("expected configuration errors", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.issues
    }
}

/// Parses `text` against base directory `/base`.
func parse(_ text: String) throws(ConfigError) -> ApusConfiguration {
    try ApusConfiguration.parse(toml: text, baseDirectory: "/base")
}
