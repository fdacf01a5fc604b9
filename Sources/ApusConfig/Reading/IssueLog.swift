/// Collects issues while the document is walked; the walk goes on after a problem so that every
/// problem is reported at once.
final class IssueLog {
    private let locator: KeyLineLocator
    private var issues: [ConfigError.Issue] = []

    init(locator: KeyLineLocator) {
        self.locator = locator
    }

    var count: Int { issues.count }

    func add(_ kind: ConfigError.Issue.Kind, at path: KeyPath, _ message: String) {
        issues.append(.init(kind: kind, key: path.description, line: locator.line(of: path), message: message))
    }

    /// In file order; issues without a line keep their walk order after the located ones.
    var sorted: [ConfigError.Issue] {
        issues.enumerated()
            .sorted { a, b in (a.element.line ?? .max, a.offset) < (b.element.line ?? .max, b.offset) }
            .map(\.element)
    }
}
