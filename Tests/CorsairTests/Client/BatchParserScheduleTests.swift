import Testing

@testable import Corsair

/// The `delay` and `not_before` fields of JSON lines batches (and so of HTTP submissions).
@Suite struct BatchParserScheduleTests {
    private func schedule(_ line: String) throws -> TaskSchedule? {
        try #require(try BatchParser(format: .jsonl).parse(line).first).schedule
    }

    @Test("a delay is a duration string or a number of seconds; not_before is Unix milliseconds or RFC 3339")
    func accepted() throws {
        #expect(try schedule(#"{"category":"a","payload":"x","delay":"30s"}"#) == .delay(.seconds(30)))
        #expect(try schedule(#"{"category":"a","payload":"x","delay":1.5}"#) == .delay(.milliseconds(1500)))
        #expect(try schedule(#"{"category":"a","payload":"x","delay":0}"#) == .delay(.zero))
        #expect(
            try schedule(#"{"category":"a","payload":"x","not_before":1800000000000}"#)
                == .notBefore(unixMilliseconds: 1_800_000_000_000))
        #expect(
            try schedule(#"{"category":"a","payload":"x","not_before":"2026-12-02T15:00:00Z"}"#)
                == .notBefore(unixMilliseconds: 1_796_223_600_000))
        #expect(
            try schedule(#"{"category":"a","payload":"x","not_before":"2026-12-02T16:00:00.250+01:00"}"#)
                == .notBefore(unixMilliseconds: 1_796_223_600_250))
        #expect(try schedule(#"{"category":"a","payload":"x"}"#) == nil)
    }

    @Test(
        "a bad delay or not_before says what is wrong and where",
        arguments: [
            (#"{"category":"a","payload":"x","delay":"soon"}"#, "field 'delay' is not a valid duration: 'soon'"),
            (#"{"category":"a","payload":"x","delay":-1}"#, "field 'delay' must be between 0 and one year"),
            (#"{"category":"a","payload":"x","delay":true}"#, "field 'delay' must be a number of seconds"),
            (#"{"category":"a","payload":"x","not_before":"tomorrow"}"#, "is not an RFC 3339 time: 'tomorrow'"),
            (#"{"category":"a","payload":"x","not_before":-5}"#, "must be Unix milliseconds"),
            (#"{"category":"a","payload":"x","delay":"1s","not_before":5}"#, "either 'delay' or 'not_before'"),
        ])
    func refused(line: String, message: String) throws {
        let error = try #require(throws: BatchFileError.self) { try BatchParser(format: .jsonl).parse(line) }
        #expect(error.message.contains(message))
        #expect(error.line == 1)
        #expect(error.column > 1)
    }
}
