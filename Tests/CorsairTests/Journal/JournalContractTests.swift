import Foundation
import Testing

@testable import Corsair

/// What every journal backend stores and gives back, the same for SQLite and PostgreSQL (where
/// `Tests/run.sh` started one).
@Suite struct JournalContractTests {
    @Test(
        "a snapshot holds unfinished tasks where they stand and the newest finished ones, by key",
        arguments: JournalBackend.available)
    func snapshot(backend: JournalBackend) throws {
        let place = try backend.place()
        let journal = try place.open()
        try journal.commit(EncodedRecords((1...5).map { JournalRecord.sample($0) }), lastKey: 5)
        try journal.commit(
            EncodedRecords([
                .attemptStarted(key: 2, attempt: 1, worker: "w", started: 2000),
                .attemptStarted(key: 3, attempt: 1, worker: "w", started: 2000),
                .attemptEnded(key: 3, attempts: 1, reason: "flaky", historyLine: "attempt 1 on w: flaky"),
                .sampleFinished(1), .sampleFinished(4),
            ]), lastKey: 7)
        journal.close()
        let reopened = try place.open()
        defer { reopened.close() }
        let snapshot = try reopened.snapshot(retainFinished: 1)
        #expect(snapshot.lastKey == 7)
        #expect(snapshot.tasks.map(\.accepted.key) == [2, 3, 4, 5])
        #expect(snapshot.tasks.map(\.state) == [.running, .queued, .succeeded, .queued])
        let requeued = try #require(snapshot.tasks.element(at: 1))
        #expect(requeued.history == ["attempt 1 on w: flaky"] && requeued.lastError == "flaky")
        #expect(requeued.attempts == 1 && requeued.worker == "w")
        #expect(snapshot.tasks.element(at: 2)?.output == Array("r4".utf8))
        #expect(snapshot.tasks.first?.accepted.payload == [2])
    }

    @Test(
        "records about a task accepted in the same commit are folded into its row", arguments: JournalBackend.available)
    func foldedInOneCommit(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        defer { journal.close() }
        try journal.commit(
            EncodedRecords([
                JournalRecord.sample(1), JournalRecord.sample(2), JournalRecord.sample(3),
                .attemptStarted(key: 1, attempt: 1, worker: "w", started: 2000),
                .attemptStarted(key: 2, attempt: 1, worker: "w", started: 2000),
                .attemptEnded(key: 2, attempts: 1, reason: "flaky", historyLine: "attempt 1 on w: flaky"),
                .attemptStarted(key: 3, attempt: 1, worker: "w", started: 2000), JournalRecord.sampleFinished(3),
            ]), lastKey: 3)
        let tasks = try journal.snapshot(retainFinished: 10).tasks
        #expect(tasks.map(\.state) == [.running, .queued, .succeeded])
        #expect(tasks.first?.worker == "w" && tasks.first?.started == 2000 && tasks.first?.attempts == 1)
        #expect(tasks.element(at: 1)?.history == ["attempt 1 on w: flaky"])
        #expect(tasks.element(at: 1)?.lastError == "flaky")
        #expect(tasks.last?.output == Array("r3".utf8) && tasks.last?.finished == 5000)
        #expect(tasks.last?.accepted.payload == [])
    }

    @Test("finished results of a batch come oldest first, a page at a time", arguments: JournalBackend.available)
    func finishedResults(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        defer { journal.close() }
        try journal.commit(
            EncodedRecords(
                (1...6).map { JournalRecord.sample($0, batch: $0 == 3 ? [0xff] : Array("b".utf8)) }
                    + [1, 2, 3, 5, 6].map { JournalRecord.sampleFinished($0) }),
            lastKey: 6)
        let first = try journal.finishedResults(batch: Array("b".utf8), afterKey: nil, limit: 2)
        #expect(first.map(\.result.id) == ["t1", "t2"])
        #expect(first.map(\.key) == [1, 2])
        #expect(first.first?.result.output == Array("r1".utf8) && first.first?.result.outcome == .succeeded)
        let rest = try journal.finishedResults(batch: Array("b".utf8), afterKey: 2, limit: 10)
        #expect(rest.map(\.result.id) == ["t5", "t6"])
    }

    @Test("answers task queries by batch name (or its hex) and id", arguments: JournalBackend.available)
    func taskQueries(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        defer { journal.close() }
        try journal.commit(
            EncodedRecords([
                JournalRecord.sample(1), JournalRecord.sample(2, batch: [0x00, 0xab]), JournalRecord.sampleFinished(1),
            ]), lastKey: 2)
        let one = try journal.tasks(matching: TaskQuery(batch: "b", id: "t1"))
        #expect(one.map(\.state) == ["succeeded"])
        #expect(one.first?.result == "r1")
        #expect(try journal.tasks(matching: TaskQuery(batch: "00ab")).map(\.id) == ["t2"])
        #expect(try journal.tasks(matching: TaskQuery(state: "queued")).map(\.id) == ["t2"])
    }

    @Test(
        "deletes results older than the cutoff, a bounded number at a time, and only finished tasks",
        arguments: JournalBackend.available)
    func deleteFinished(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        defer { journal.close() }
        try journal.commit(
            EncodedRecords(
                (1...4).map { JournalRecord.sample($0) } + [
                    JournalRecord.sampleFinished(1, at: 100), JournalRecord.sampleFinished(2, at: 200),
                    JournalRecord.sampleFinished(3, at: 900),
                ]),
            lastKey: 4)
        // Only tasks folded out of the log are deleted: expiry never waits for a fold.
        #expect(try journal.deleteFinished(before: 500, limit: 10) == 0)
        #expect(try journal.fold(limit: 1) == 7)
        #expect(try journal.deleteFinished(before: 500, limit: 1) == 1)
        #expect(try journal.deleteFinished(before: 500, limit: 10) == 1)
        #expect(try journal.deleteFinished(before: 500, limit: 10) == 0)
        #expect(try journal.snapshot(retainFinished: 10).tasks.map(\.accepted.key) == [3, 4])
    }

    @Test(
        "every field of a task comes back as stored, whether its records were folded with its acceptance or after it",
        arguments: JournalBackend.available)
    func everyField(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        defer { journal.close() }
        func task(_ key: UInt64) -> AcceptedTask {
            AcceptedTask(
                key: key, batch: [0, 1, 0xff], id: "id \(key) ü", category: "render", payload: [0, 9, 0],
                priority: -3, timeoutMilliseconds: 2500, maxAttempts: 7, submitted: 1_700_000_000_000,
                notBefore: 1_700_000_000_500)
        }
        let records: (UInt64) -> [JournalRecord] = { key in
            [
                .attemptStarted(key: key, attempt: 1, worker: "w1", started: 10),
                .attemptEnded(key: key, attempts: 1, reason: "lost", historyLine: "attempt 1 on w1: lost"),
                .attemptStarted(key: key, attempt: 2, worker: "w2", started: 20),
                .attemptEnded(key: key, attempts: 2, reason: "lost again", historyLine: "attempt 2 on w2: lost again"),
                .attemptStarted(key: key, attempt: 3, worker: "w3", started: 30),
            ]
        }
        try journal.commit(EncodedRecords([.accepted(task(1))] + records(1)), lastKey: 1)
        try journal.commit(EncodedRecords([.accepted(task(2))]), lastKey: 2)
        _ = try journal.fold(limit: 100)
        try journal.commit(EncodedRecords(Array(records(2).prefix(2))), lastKey: 2)
        _ = try journal.fold(limit: 100)
        try journal.commit(EncodedRecords(Array(records(2).dropFirst(2))), lastKey: 2)
        let tasks = try journal.snapshot(retainFinished: 0).tasks
        #expect(tasks.map(\.accepted) == [task(1), task(2)])
        for stored in tasks {
            #expect(stored.state == .running && stored.attempts == 3 && stored.worker == "w3" && stored.started == 30)
            #expect(stored.history == ["attempt 1 on w1: lost", "attempt 2 on w2: lost again"])
            #expect(stored.lastError == "lost again" && stored.output == nil && stored.finished == nil)
        }
    }
}
