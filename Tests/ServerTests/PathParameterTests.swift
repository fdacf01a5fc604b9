import APICore
import Foundation
import Testing

/// Path parameters are percent-decoded by our own decoder (Foundation's cost showed on every
/// request): it must agree with `removingPercentEncoding`, malformed input included.
@Suite struct PathParameterTests {
    @Test(arguments: [
        "!room:example.org", "%21room%3Aexample.org", "$abc%2Fdef%2Bg", "caf%C3%A9", "caf%c3%a9", "a+b", "%", "%2", "%zz", "%2g",
        "100%", "%FF", "%C3", "%E2%82%AC%F0%9F%98%80", "", "plain", "%%41", "%41%", "tab%09end", "%00",
    ])
    func decodesLikeFoundation(_ raw: String) {
        #expect(ApusRequestContext.percentDecoded(raw) == raw.removingPercentEncoding, "\(raw)")
    }
}
