@testable import ApusConfig
import Testing

/// The locator must find keys wherever TOML allows writing them, and skip what only looks like keys.
@Suite struct KeyLineLocatorTests {
    static let text = #"""
        top = 1
        "quoted key" = 2
        a.b . c = 3
        multi = """
        fake = 4
        [fake]
        """
        array = [
          # port = 5
          1,
          { x = 6 },
        ]

        [ table . sub ]
        key = 'lit'

        [[arr]]
        k = 1
        [arr.inner]
        deep = 2

        [[arr]]
        k = 3
        """#

    let locator = KeyLineLocator(text: text)

    func line(_ components: [KeyPath.Component]) -> Int? {
        var path = KeyPath.root
        for component in components {
            switch component {
            case .key(let key): path = path.appending(key)
            case .index(let index): path = path.appending(index: index)
            }
        }
        return locator.line(of: path)
    }

    @Test func findsKeys() {
        #expect(line([.key("top")]) == 1)
        #expect(line([.key("quoted key")]) == 2)
        #expect(line([.key("a"), .key("b"), .key("c")]) == 3)
        #expect(line([.key("multi")]) == 4)
        #expect(line([.key("array")]) == 8)
        #expect(line([.key("array"), .index(0)]) == 10)
        #expect(line([.key("array"), .index(1), .key("x")]) == 11)
        #expect(line([.key("table"), .key("sub")]) == 14)
        #expect(line([.key("table"), .key("sub"), .key("key")]) == 15)
        #expect(line([.key("arr"), .index(0)]) == 17)
        #expect(line([.key("arr"), .index(0), .key("k")]) == 18)
        #expect(line([.key("arr"), .index(0), .key("inner"), .key("deep")]) == 20)
        #expect(line([.key("arr"), .index(1), .key("k")]) == 23)
    }

    @Test func ignoresStringAndCommentContents() {
        #expect(line([.key("fake")]) == nil)
        #expect(line([.key("port")]) == nil)
        #expect(line([.key("array"), .key("port")]) == nil)
    }

    @Test func quotedPathsAreRenderedQuoted() {
        #expect(KeyPath.root.appending("a b").appending(index: 2).appending("c").description == "\"a b\"[2].c")
    }
}
