import Testing

@testable import Corsair

/// The journal log's encoding of records: what goes in comes out, and damage is found.
@Suite struct JournalRecordCodecTests {
    static let records: [JournalRecord] = [
        .accepted(
            AcceptedTask(
                key: 1, batch: [0, 0xff], id: "t1", category: "a", payload: [1, 2, 3], priority: -7,
                timeoutMilliseconds: 3000, maxAttempts: 4, submitted: 1_700_000_000_000, notBefore: 1_700_000_060_000)),
        .accepted(
            AcceptedTask(
                key: .max, batch: [], id: "", category: "ü", payload: [], priority: .max, timeoutMilliseconds: 0,
                maxAttempts: nil, submitted: 0)),
        .attemptStarted(key: 1, attempt: 2, worker: "w-1", started: 1_700_000_000_500),
        .attemptEnded(key: 1, attempts: 1, reason: "timeout", historyLine: "attempt 1 on w-1: timeout"),
        .attemptEnded(key: 1, attempts: 1, reason: "broker_restart", historyLine: nil),
        .finished(
            FinishedTask(
                key: 1, outcome: .failed, output: Array("boom".utf8), attempts: 3, finished: 1_700_000_001_000,
                lastError: "boom")),
        .finished(
            FinishedTask(key: 300, outcome: .succeeded, output: [], attempts: 1, finished: 5, lastError: nil)),
    ]

    private static func decode(_ bytes: [UInt8]) throws -> [JournalRecord] {
        var records: [JournalRecord] = []
        try bytes.withUnsafeBytes { try JournalRecordCodec.decode($0, into: &records) }
        return records
    }

    @Test("every kind of record, with its optional fields set and not, comes back as it went in")
    func roundTrip() throws {
        #expect(try Self.decode(EncodedRecords(Self.records).bytes) == Self.records)
        #expect(try Self.decode([]).isEmpty)
    }

    @Test("bytes cut short, or an unknown tag, are refused")
    func damage() throws {
        let bytes = EncodedRecords(Self.records).bytes
        #expect(throws: JournalRecordCodec.DecodingFailure.self) { try Self.decode(Array(bytes.dropLast())) }
        #expect(throws: JournalRecordCodec.DecodingFailure.self) { try Self.decode([9, 1, 2]) }
    }
}
