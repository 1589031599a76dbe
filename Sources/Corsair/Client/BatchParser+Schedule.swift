internal import Foundation

extension JSONBatchLine {
    /// The task's schedule: its `delay` or its `not_before`, not both; `nil` when it has neither.
    func schedule() throws(BatchFileError) -> TaskSchedule? {
        switch (object["delay"], object["not_before"]) {
        case (nil, nil):
            return nil
        case (_?, _?):
            throw error(at: "not_before", "give either 'delay' or 'not_before', not both")
        case (let delay?, nil):
            return .delay(try Self.delay(delay, line: self))
        case (nil, let notBefore?):
            return .notBefore(unixMilliseconds: try Self.unixMilliseconds(notBefore, line: self))
        }
    }

    /// A `delay`: a duration string or a number of seconds, from zero to one year.
    private static func delay(_ value: Any, line: JSONBatchLine) throws(BatchFileError) -> Duration {
        if let text = value as? String {
            guard let parsed = DurationParser.parse(text) else {
                throw line.error(
                    at: "delay", "field 'delay' is not a valid duration: '\(text)' (try 30s, 2m, 1h, at most one year)")
            }
            return parsed
        }
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else {
            throw line.error(at: "delay", "field 'delay' must be a number of seconds or a duration string")
        }
        let seconds = number.doubleValue
        guard seconds >= 0, seconds <= 365 * 24 * 60 * 60 else {
            throw line.error(at: "delay", "field 'delay' must be between 0 and one year, found \(seconds)")
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// A `not_before`: Unix milliseconds as a non-negative integer, or an RFC 3339 time with a zone.
    private static func unixMilliseconds(_ value: Any, line: JSONBatchLine) throws(BatchFileError) -> UInt64 {
        if let text = value as? String {
            guard let date = rfc3339(text) else {
                throw line.error(
                    at: "not_before",
                    "field 'not_before' is not an RFC 3339 time: '\(text)' (try 2026-12-02T15:00:00Z)")
            }
            guard date.timeIntervalSince1970 >= 0 else {
                throw line.error(at: "not_before", "field 'not_before' is before 1970")
            }
            return UInt64((date.timeIntervalSince1970 * 1000).rounded())
        }
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
            let milliseconds = UInt64(exactly: number.doubleValue)
        else {
            throw line.error(
                at: "not_before", "field 'not_before' must be Unix milliseconds (an integer ≥ 0) or an RFC 3339 time")
        }
        return milliseconds
    }

    /// `text` as an RFC 3339 time (`2026-12-02T15:00:00Z`, `2026-12-02T16:00:00.250+01:00`).
    private static func rfc3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
