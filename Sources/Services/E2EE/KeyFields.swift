import MatrixProtocol

/// Typed access to fields of the nested key objects the E2EE services validate, with the
/// spec's errors (missing: `M_MISSING_PARAM`, wrong type: `M_BAD_JSON`). The same rules as
/// APICore's request-body helpers, which this target cannot import.
extension JSONObject {
    func optionalString(_ key: String) throws(MatrixError) -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let s = value.stringValue else { throw MatrixError.badJSON("'\(key)' must be a string") }
        return s
    }

    func requiredString(_ key: String) throws(MatrixError) -> String {
        guard let s = try optionalString(key) else { throw MatrixError.missingParam("Missing '\(key)'") }
        return s
    }

    func optionalBool(_ key: String) throws(MatrixError) -> Bool? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let b = value.boolValue else { throw MatrixError.badJSON("'\(key)' must be a boolean") }
        return b
    }

    func optionalObject(_ key: String) throws(MatrixError) -> JSONObject? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let o = value.objectValue else { throw MatrixError.badJSON("'\(key)' must be an object") }
        return o
    }

    func optionalStringArray(_ key: String) throws(MatrixError) -> [String]? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            throw MatrixError.badJSON("'\(key)' must be an array of strings")
        }
        return items.compactMap(\.stringValue)
    }
}
