import Foundation
import MatrixProtocol

/// Reads the shared test vectors at run time, from `../shared/vectors` beside the project root
/// (or `APUS_VECTORS`).
enum Vectors {
    static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["APUS_VECTORS"] { return URL(fileURLWithPath: env) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/vectors")
    }

    static func load(_ name: String) throws -> JSONObject {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONParser.parseObject(Array(data))
    }
}

struct MissingVectorField: Error, CustomStringConvertible {
    let description: String
}

/// Unwraps a field of a vector file; a missing field fails the test with its name.
func need<T>(_ value: T?, file: String = #fileID, line: Int = #line) throws -> T {
    guard let value else { throw MissingVectorField(description: "vector field missing (\(file):\(line))") }
    return value
}
