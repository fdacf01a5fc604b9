import MatrixProtocol
import Outbound
@testable import Services
import Testing

@Suite struct HTMLPreviewParsingTests {
    @Test func readsOpenGraphTags() {
        let og = OpenGraph.parse(html: """
            <html><head>
            <meta property="og:title" content="First"><meta property="og:title" content="Second">
            <meta name="og:description" content="From a name attribute">
            <meta property="og:image" content="https://example.org/a.png" />
            <meta property="og:image:width" content="640"><meta property="og:image:height" content="not a number">
            <meta property="og:type" content=article>
            <meta property="og:empty" content="   ">
            <meta property="\(String(repeating: "x", count: 60))" content="long key">
            <meta property="og:\(String(repeating: "k", count: 60))" content="long og key">
            </head></html>
            """)
        #expect(og["og:title"] == "First")
        #expect(og["og:description"] == "From a name attribute")
        #expect(og["og:image"] == "https://example.org/a.png")
        #expect(og["og:image:width"] == .int(640))
        #expect(og["og:image:height"] == nil)
        #expect(og["og:type"] == "article")
        #expect(og["og:empty"] == nil)
        #expect(og.count == 5)
    }

    @Test func fallsBackToTitleTwitterAndDescription() {
        var og = OpenGraph.parse(html: "<title>  Plain\n\t title </title><meta name=description content='Described'>")
        #expect(og == ["og:title": "Plain title", "og:description": "Described"])
        og = OpenGraph.parse(html: """
            <TITLE>Page</TITLE><meta name="twitter:title" content="Tweet title"><meta name="twitter:image" content="/t.png">
            """)
        #expect(og == ["og:title": "Tweet title", "og:image": "/t.png"])
        og = OpenGraph.parse(html: "<meta property='og:image:secure_url' content='https://x/s.png'>")
        #expect(og["og:image"] == "https://x/s.png")
    }

    @Test func skipsCommentsScriptsAndStyles() {
        let og = OpenGraph.parse(html: """
            <!-- <title>comment</title> --><script type="text/javascript">if (a < b) document.write("<title>script</title>")</script>
            <style>p::before { content: "<title>style</title>" }</style><title>Real &lt;one&gt;</title>
            """)
        #expect(og == ["og:title": "Real <one>"])
    }

    @Test func toleratesBrokenMarkup() {
        #expect(OpenGraph.parse(html: "<meta property=\"og:title\" content=\"unterminated").isEmpty)
        #expect(OpenGraph.parse(html: "a < b and <").isEmpty)
        #expect(OpenGraph.parse(html: "<title>no end") == ["og:title": "no end"])
        #expect(OpenGraph.parse(html: "").isEmpty)
    }

    @Test func cutsLongDescriptions() {
        let long = String(repeating: "word ", count: 400)
        let og = OpenGraph.parse(html: "<meta property=og:description content='\(long)'><meta property=og:image content='https://x/\(long)'>")
        let description = og["og:description"]?.stringValue ?? ""
        #expect(description.count == OpenGraph.maxValueLength && description.hasSuffix("…"))
        #expect(og["og:image"] == nil)  // a cut URL is useless: dropped
    }

    @Test func decodesEntities() {
        #expect(HTMLEntities.decode("Tom &amp; Jerry") == "Tom & Jerry")
        #expect(HTMLEntities.decode("&#233;&#xE9;&#XE9;&eacute;&Eacute;") == "ééééÉ")
        #expect(HTMLEntities.decode("&#128512; &#x1F600;") == "😀 😀")
        #expect(HTMLEntities.decode("&hellip;&mdash;&rsquo;&nbsp;&euro;") == "…—’\u{A0}€")
        #expect(HTMLEntities.decode("AT&amp T &copy 2024") == "AT& T © 2024")
        #expect(HTMLEntities.decode("&unknown; & &; &#; &#xZZ;") == "&unknown; & &; &#; &#xZZ;")
        #expect(HTMLEntities.decode("&#0;&#x110000;&#150;") == "\u{FFFD}\u{FFFD}\u{2013}")
    }

    @Test func decodesCharsets() {
        let cafe: [UInt8] = Array("<title>Caf".utf8) + [0xE9] + Array("</title>".utf8)
        #expect(HTMLCharset.decode(cafe, contentTypeCharset: "iso-8859-1") == "<title>Café</title>")
        #expect(HTMLCharset.decode(cafe, contentTypeCharset: "latin1") == "<title>Café</title>")
        // No label and not UTF-8: windows-1252.
        #expect(HTMLCharset.decode(cafe + [0x80], contentTypeCharset: nil).hasSuffix("</title>€"))
        // A <meta> declaration, both forms.
        let declared = Array("<meta charset=\"ISO-8859-1\">".utf8) + cafe
        #expect(HTMLCharset.decode(declared, contentTypeCharset: nil).hasSuffix("Café</title>"))
        let httpEquiv = Array("<meta http-equiv=Content-Type content='text/html; charset=windows-1252'>".utf8) + [0x93, 0x94]
        #expect(HTMLCharset.decode(httpEquiv, contentTypeCharset: nil).hasSuffix("\u{201C}\u{201D}"))
        // UTF-8, with a BOM, and cut in the middle of a character: still UTF-8.
        let utf8 = Array("<title>Café ☕</title>".utf8)
        #expect(HTMLCharset.decode([0xEF, 0xBB, 0xBF] + utf8, contentTypeCharset: nil) == "<title>Café ☕</title>")
        #expect(HTMLCharset.decode(Array(utf8.prefix(utf8.count - 9)), contentTypeCharset: nil) == "<title>Café \u{FFFD}")
        // The header wins over the page.
        #expect(HTMLCharset.decode(Array("<meta charset=latin1>".utf8) + Array("é".utf8), contentTypeCharset: "utf-8").hasSuffix("é"))
        // UTF-16 with a BOM.
        let utf16: [UInt8] = [0xFF, 0xFE] + "<title>Hi</title>".utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        #expect(HTMLCharset.decode(utf16, contentTypeCharset: nil) == "<title>Hi</title>")
    }

    @Test func resolvesReferences() throws {
        let page = try #require(HTTPURL("https://example.org/a/b/page.html?x=1"))
        #expect(page.resolve("img.png")?.description == "https://example.org/a/b/img.png")
        #expect(page.resolve("/root.png")?.description == "https://example.org/root.png")
        #expect(page.resolve("../up.png")?.description == "https://example.org/a/up.png")
        #expect(page.resolve("//cdn.example.net/x.png")?.description == "https://cdn.example.net/x.png")
        #expect(page.resolve("http://other.example/x")?.description == "http://other.example/x")
        #expect(page.resolve("data:image/png;base64,AAAA") == nil)
        #expect(page.resolve("javascript:alert(1)") == nil)
    }
}
