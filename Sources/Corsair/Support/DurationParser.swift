/// Parses and formats human-written durations such as `250ms`, `1.5s` or `2m`.
///
/// A duration is a non-negative decimal number (digits with an optional
/// fractional part, no sign or exponent) followed by an optional unit:
/// `ns`, `us` (or `µs`), `ms`, `s`, `m` or `h`. A bare number means seconds.
/// Values are exact to the nanosecond and may not exceed one year (365 days).
public enum DurationParser {
    /// The largest accepted duration: 365 days.
    public static let maximum: Duration = .seconds(365 * 24 * 60 * 60)

    private static let units: [(suffix: String, nanoseconds: Int128)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    private static let maximumNanoseconds = nanoseconds(of: maximum)

    /// Parses a duration.
    ///
    /// Leading and trailing whitespace is ignored.
    ///
    /// - Parameter text: Text such as `250ms`, `10s`, `1.5s`, `2m`, `1h`, `500us` or `0.5`.
    /// - Returns: The duration, or `nil` when the text is malformed, negative or over one year.
    public static func parse(_ text: String) -> Duration? {
        var trimmed = Substring(text)
        while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        let numberEnd = trimmed.firstIndex { !$0.isASCII || !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        let number = trimmed[..<numberEnd]
        let suffix = trimmed[numberEnd...]
        let scale: Int128
        if suffix.isEmpty {
            scale = 1_000_000_000
        } else if let unit = units.first(where: { $0.suffix == suffix }) {
            scale = unit.nanoseconds
        } else {
            return nil
        }
        guard let total = scaled(number, by: scale), total <= maximumNanoseconds else { return nil }
        return .nanoseconds(Int64(total))
    }

    /// Formats a duration compactly, in a form ``parse(_:)`` reads back exactly.
    ///
    /// Whole hours and whole minutes use `h` and `m`; anything else uses the
    /// largest of `s`, `ms`, `us` and `ns` that is at most the value, with a
    /// decimal fraction when needed: `250ms`, `10s`, `1.5s`, `90s`, `2m`, `1h`.
    /// Sub-nanosecond parts are dropped; negative durations get a leading `-`.
    ///
    /// - Parameter d: The duration to format.
    /// - Returns: The compact text.
    public static func format(_ d: Duration) -> String {
        let total = nanoseconds(of: d)
        if total < 0 { return "-" + format(.zero - d) }
        if total == 0 { return "0s" }
        for (suffix, scale) in [("h", Int128(3_600_000_000_000)), ("m", 60_000_000_000)] where total % scale == 0 {
            return "\(total / scale)\(suffix)"
        }
        for (suffix, scale) in [("s", Int128(1_000_000_000)), ("ms", 1_000_000), ("us", 1_000)] where total >= scale {
            return decimal(total, over: scale) + suffix
        }
        return "\(total)ns"
    }

    /// Converts `digits[.fraction]` times `scale` nanoseconds, truncating below one nanosecond.
    private static func scaled(_ number: Substring, by scale: Int128) -> Int128? {
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty || !fraction.isEmpty, !fraction.contains(".") else { return nil }
        var result: Int128 = 0
        for digit in whole {
            result = result * 10 + Int128(digit.wholeNumberValue!)
            if result > maximumNanoseconds { return nil }
        }
        result *= scale
        var numerator: Int128 = 0
        var denominator: Int128 = 1
        for digit in fraction.prefix(18) {
            numerator = numerator * 10 + Int128(digit.wholeNumberValue!)
            denominator *= 10
        }
        return result + numerator * scale / denominator
    }

    /// Writes `value / scale` as a decimal with trailing zeros removed.
    private static func decimal(_ value: Int128, over scale: Int128) -> String {
        let whole = value / scale
        var remainder = value % scale
        guard remainder != 0 else { return "\(whole)" }
        var digits = ""
        var place = scale / 10
        while remainder != 0 {
            digits.append(String(remainder / place))
            remainder %= place
            place /= 10
        }
        return "\(whole).\(digits)"
    }

    private static func nanoseconds(of d: Duration) -> Int128 {
        let (seconds, attoseconds) = d.components
        return Int128(seconds) * 1_000_000_000 + Int128(attoseconds) / 1_000_000_000
    }
}
