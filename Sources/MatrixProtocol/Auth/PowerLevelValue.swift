extension PowerLevels {
    /// Reads one value of an `m.room.power_levels` event the way the room version allows, or nil
    /// when it is not a power level there (an event carrying it is rejected, rule 10.1–10.3):
    /// - a JSON integer, in every version;
    /// - v1–v9 (`fragments/v1-stringy-power-levels.md`): a string holding a base-10 integer, with
    ///   any leading zeros, one optional `+`/`-`, and any whitespace around it (`" +0042 "`);
    /// - v1–v5 (`fragments/v1-floaty-power-levels.md`): a float, truncated toward zero
    ///   (`5.114698E4` → 51146); Infinity and NaN are rejected;
    /// - v10+: integers only.
    ///
    /// Values beyond the 64-bit range (possible only in the lenient JSON of v1–v5) saturate:
    /// the spec accepts them, and saturation keeps their order against every real level.
    public static func parse(_ value: JSONValue, version: RoomVersion) -> Int64? {
        switch value {
        case .int(let i):
            return i
        case .double(let d) where version.floatPowerLevels:
            guard d.isFinite else { return nil }
            let truncated = d.rounded(.towardZero)
            if truncated >= 9_223_372_036_854_775_807.0 { return .max }
            if truncated <= -9_223_372_036_854_775_808.0 { return .min }
            return Int64(truncated)
        case .string(let s) where !version.integerPowerLevels:
            return parseIntegerString(s)
        default:
            return nil
        }
    }

    /// The stringy-power-levels grammar: `\s* [+-]? [0-9]+ \s*`.
    static func parseIntegerString(_ s: String) -> Int64? {
        var chars = Substring(s)
        while let c = chars.first, c.isWhitespace { chars.removeFirst() }
        while let c = chars.last, c.isWhitespace { chars.removeLast() }
        var negative = false
        if let sign = chars.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            chars.removeFirst()
        }
        guard !chars.isEmpty else { return nil }
        var magnitude: UInt64 = 0
        var saturated = false
        for scalar in chars.unicodeScalars {
            guard ("0"..."9").contains(scalar) else { return nil }
            let digit = UInt64(scalar.value - 48)
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(digit)
            if o1 || o2 { saturated = true } else { magnitude = sum }
        }
        if negative {
            return saturated || magnitude > UInt64(Int64.max) ? .min : -Int64(magnitude)
        }
        return saturated || magnitude > UInt64(Int64.max) ? .max : Int64(magnitude)
    }
}
