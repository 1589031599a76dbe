import Foundation
import Testing

@testable import Corsair

/// Cancel and delayed tasks across a durable broker's restart: what the machine journals for them, what the SQLite
/// journal keeps, and how restore brings them back.
@Suite struct BrokerRestoreCancelScheduleTests {
    /// A journaled task of batch `[7]`, category `a`; the harness anchors `t0` at Unix time 1 000 000 ms.
    private static func journaled(
        _ key: UInt64,
        id: String,
        state: JournaledTask.State = .queued,
        notBefore: UInt64? = nil,
        output: String? = nil
    ) -> JournaledTask {
        JournaledTask(
            accepted: AcceptedTask(
                key: key, batch: [7], id: id, category: "a", payload: Array(id.utf8), priority: 0,
                timeoutMilliseconds: nil, maxAttempts: nil, submitted: 900_000, notBefore: notBefore),
            state: state, attempts: 0, worker: nil, started: nil, lastError: output, history: [],
            output: output.map { Array($0.utf8) }, finished: output == nil ? nil : 990_000)
    }

    /// A broker whose workers are not expired by the long ticks these tests take.
    private static func broker() -> BrokerHarness {
        BrokerHarness {
            $0.journaled = true
            $0.heartbeatInterval = .seconds(100)
            $0.taskTimeout = .seconds(100)
        }
    }

    @Test("a cancel is journaled as the task's finished record with the cancelled outcome")
    func cancelJournaled() throws {
        var broker = Self.broker()
        broker.submit([task("a1", "a")])
        let records = broker.cancel(CancelRequest(ids: ["a1"])).journalRecords
        guard case .finished(let finished) = try #require(records.first) else {
            Issue.record("expected the finished record, got \(records)")
            return
        }
        #expect(records.count == 1)
        #expect(finished.outcome == .cancelled)
        #expect(finished.output == Array("cancelled while queued".utf8))
    }

    @Test("an accepted delayed task's record carries its not-before time; a task without one carries none")
    func notBeforeJournaled() throws {
        var broker = Self.broker()
        let records = broker.submit([task("a1", schedule: .delay(.seconds(30))), task("a2", "a")]).journalRecords
        let accepted = records.compactMap { record -> AcceptedTask? in
            if case .accepted(let task) = record { return task }
            return nil
        }
        #expect(accepted.map(\.id) == ["a1", "a2"])
        #expect(accepted.map(\.notBefore) == [1_030_000, nil])
    }

    @Test("a cancelled task comes back cancelled; its resubmission is answered with the cancelled result")
    func restoreCancelled() throws {
        var broker = Self.broker()
        let snapshot = JournalSnapshot(
            lastKey: 1, tasks: [Self.journaled(1, id: "gone", state: .cancelled, output: "cancelled while queued")])
        _ = broker.machine.restore(snapshot, at: broker.t0)
        #expect(broker.machine.state(ofTask: "gone", session: [7]) == "cancelled")
        #expect(broker.machine.sessions[ByteKey([7])]?.unfinished == 0, "corsair wait finds the batch finished")
        #expect(broker.corsairWorker(w1, category: "a", credit: 1).requests.isEmpty)
        let resubmitted = broker.submit([task("gone", "a")])
        let result = try #require(resubmitted.results.first)
        #expect(result.outcome == .cancelled)
        #expect(result.output == Array("cancelled while queued".utf8))
        #expect(broker.machine.status(at: broker.t0).tasks["cancelled"] == 1)
    }

    @Test("a queued task whose not-before time is ahead comes back scheduled and runs at its time")
    func restoreScheduled() throws {
        var broker = Self.broker()
        let snapshot = JournalSnapshot(
            lastKey: 2,
            tasks: [
                Self.journaled(1, id: "later", notBefore: 1_030_000),
                Self.journaled(2, id: "past", notBefore: 999_000),
            ])
        _ = broker.machine.restore(snapshot, at: broker.t0)
        #expect(broker.machine.state(ofTask: "later", session: [7]) == "scheduled")
        #expect(broker.machine.state(ofTask: "past", session: [7]) == "queued")
        #expect(broker.machine.nextDeadline == broker.t0 + .seconds(30))
        let first = broker.corsairWorker(w1, category: "a", credit: 2).requests
        #expect(first.map(\.payload) == ["past"])
        #expect(broker.tick(after: .seconds(30) - .milliseconds(1)).requests.isEmpty)
        #expect(broker.tick(after: .seconds(30)).requests.map(\.payload) == ["later"])
    }
}

/// The SQLite journal keeps a cancelled task's outcome and a delayed task's not-before time as they were written.
@Suite struct SQLiteJournalCancelScheduleTests {
    @Test("a cancelled task and a delayed one read back as cancelled and with their not-before time")
    func roundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-journal-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("corsair.journal").path
        let accepted = (1...3).map { key in
            AcceptedTask(
                key: key, batch: [7], id: "t\(key)", category: "a", payload: [UInt8(key)], priority: 0,
                timeoutMilliseconds: nil, maxAttempts: nil, submitted: 1000, notBefore: key == 2 ? 9000 : nil)
        }
        let cancel: (UInt64) -> JournalRecord = { key in
            .finished(
                FinishedTask(
                    key: key, outcome: .cancelled, output: Array("cancelled while queued".utf8), attempts: 0,
                    finished: 2000, lastError: "cancelled while queued"))
        }
        let journal = try SQLiteJournal(path: path, sync: .normal)
        // Task 1 is cancelled in its accepting commit (folded into the INSERT), task 3 in a later one (an UPDATE).
        try journal.commit(EncodedRecords(accepted.map(JournalRecord.accepted) + [cancel(1)]), lastKey: 3)
        try journal.commit(EncodedRecords([cancel(3)]), lastKey: 3)
        journal.close()
        let reopened = try SQLiteJournal(path: path, sync: .normal)
        defer { reopened.close() }
        let snapshot = try reopened.snapshot(retainFinished: 10)
        #expect(snapshot.tasks.map(\.state) == [.cancelled, .queued, .cancelled])
        #expect(snapshot.tasks.map(\.accepted.notBefore) == [nil, 9000, nil])
        let listed = try reopened.tasks(matching: TaskQuery(id: "t3"))
        #expect(listed.map(\.state) == ["cancelled"])
    }
}
