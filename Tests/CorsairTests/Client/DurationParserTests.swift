import Testing

@testable import Corsair

@Suite struct DurationParserTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("10s", .seconds(10)),
        ("1.5s", .milliseconds(1500)),
        ("2m", .seconds(120)),
        ("1h", .seconds(3600)),
        ("500us", .microseconds(500)),
        ("3µs", .microseconds(3)),
        ("7ns", .nanoseconds(7)),
        ("10", .seconds(10)),
        ("0.5", .milliseconds(500)),
        (".5", .milliseconds(500)),
        ("1.", .seconds(1)),
        ("0", .zero),
        (" 10s ", .seconds(10)),
        ("1.123456789123s", .nanoseconds(1_123_456_789)),
        ("8760h", .seconds(31_536_000)),
        ("31536000", .seconds(31_536_000)),
    ])
    func parsesValidText(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: [
        "", " ", "-1", "-1s", "+5s", "NaN", "nan", "inf", "abc", "10x", "1.2.3", ".", "s", "10 s", "1e3",
        "8760.0001h", "8761h", "31536001", "99999999999999999999999999999999999s",
    ])
    func rejectsInvalidText(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test(arguments: [
        (Duration.zero, "0s"),
        (.milliseconds(250), "250ms"),
        (.seconds(10), "10s"),
        (.milliseconds(1500), "1.5s"),
        (.seconds(90), "90s"),
        (.seconds(120), "2m"),
        (.seconds(3600), "1h"),
        (.seconds(5400), "90m"),
        (.microseconds(500), "500us"),
        (.nanoseconds(1500), "1.5us"),
        (.nanoseconds(7), "7ns"),
        (.nanoseconds(1_000_000_001), "1.000000001s"),
        (.milliseconds(-250), "-250ms"),
    ])
    func formatsCompactly(duration: Duration, expected: String) {
        #expect(DurationParser.format(duration) == expected)
    }

    @Test(arguments: [
        Duration.milliseconds(250), .seconds(90), .seconds(5400), .nanoseconds(1_000_000_001), .microseconds(3),
        .seconds(31_536_000),
    ])
    func formatRoundTrips(duration: Duration) {
        #expect(DurationParser.parse(DurationParser.format(duration)) == duration)
    }
}
