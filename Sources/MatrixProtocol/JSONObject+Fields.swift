
/// Typed access to request-body fields, with the spec's errors: a missing required field is
/// `M_MISSING_PARAM`, a field of the wrong type `M_BAD_JSON`.
extension JSONObject {
    public func optionalString(_ key: String) throws(MatrixError) -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let s = value.stringValue else { throw MatrixError.badJSON("'\(key)' must be a string") }
        return s
    }

    public func requiredString(_ key: String) throws(MatrixError) -> String {
        guard let s = try optionalString(key) else { throw MatrixError.missingParam("Missing '\(key)'") }
        return s
    }

    public func optionalBool(_ key: String) throws(MatrixError) -> Bool? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let b = value.boolValue else { throw MatrixError.badJSON("'\(key)' must be a boolean") }
        return b
    }

    public func optionalObject(_ key: String) throws(MatrixError) -> JSONObject? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let o = value.objectValue else { throw MatrixError.badJSON("'\(key)' must be an object") }
        return o
    }

    public func optionalStringArray(_ key: String) throws(MatrixError) -> [String]? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let items = value.arrayValue else { throw MatrixError.badJSON("'\(key)' must be an array of strings") }
        var out: [String] = []
        for item in items {
            guard let s = item.stringValue else { throw MatrixError.badJSON("'\(key)' must be an array of strings") }
            out.append(s)
        }
        return out
    }
}
