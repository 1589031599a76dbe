import Testing

@testable import Corsair

/// A durable broker's restart: the machine takes back what its journal held.
@Suite struct BrokerRestoreTests {
    private static func journaled(
        _ key: UInt64,
        id: String,
        category: String = "a",
        priority: Int32 = 0,
        state: JournaledTask.State = .queued,
        attempts: Int = 0,
        output: String? = nil
    ) -> JournaledTask {
        JournaledTask(
            accepted: AcceptedTask(
                key: key, batch: [7], id: id, category: category, payload: Array(id.utf8), priority: priority,
                timeoutMilliseconds: nil, maxAttempts: nil, submitted: 900_000),
            state: state, attempts: attempts, worker: attempts > 0 ? "old-worker" : nil,
            started: attempts > 0 ? 950_000 : nil, lastError: nil, history: [],
            output: output.map { Array($0.utf8) }, finished: output == nil ? nil : 990_000)
    }

    private static let snapshot = JournalSnapshot(
        lastKey: 9,
        tasks: [
            journaled(1, id: "done", state: .succeeded, attempts: 1, output: "result"),
            journaled(2, id: "low"),
            journaled(3, id: "was-running", state: .running, attempts: 2),
            journaled(4, id: "high", priority: 5),
            journaled(5, id: "b1", category: "b"),
        ])

    @Test("queued tasks return in their category's order; a running attempt ends with broker_restart, uncounted")
    func queuedAndRunning() throws {
        var broker = BrokerHarness { $0.journaled = true }
        let actions = broker.machine.restore(Self.snapshot, at: broker.t0)
        #expect(
            actions.journalRecords == [
                .attemptEnded(key: 3, attempts: 1, reason: "broker_restart", historyLine: nil)
            ])
        #expect(broker.machine.queueDepth(category: "a") == 3)
        #expect(broker.machine.queueDepth(category: "b") == 1)
        #expect(broker.machine.attempts(ofTask: "was-running", session: [7]) == 1)
        let dispatched = broker.corsairWorker(w1, category: "a", credit: 3).requests
        #expect(dispatched.map(\.payload) == ["high", "low", "was-running"])
        #expect(dispatched.last?.header?.attempt == 2)
    }

    @Test("finished tasks keep their results; resubmitting one is a duplicate answered with its result")
    func finishedAndDuplicates() throws {
        var broker = BrokerHarness { $0.journaled = true }
        _ = broker.machine.restore(Self.snapshot, at: broker.t0)
        #expect(broker.machine.state(ofTask: "done", session: [7]) == "succeeded")
        let resubmitted = broker.submit([task("done", "a"), task("low", "a"), task("new", "a")])
        #expect(resubmitted.results.map(\.id) == ["done"])
        #expect(resubmitted.results.first?.output == Array("result".utf8))
        #expect(resubmitted.results.first?.worker == "old-worker")
        #expect(resubmitted.results.first?.finished == 990_000)
        guard case .accepted(let new) = resubmitted.journalRecords.first else {
            Issue.record("expected the new task's record, got \(resubmitted.journalRecords)")
            return
        }
        #expect(resubmitted.journalRecords.count == 1)
        #expect(new.id == "new" && new.key == 10)
    }

    @Test("the status query shows restored tasks as they stand")
    func status() {
        var broker = BrokerHarness { $0.journaled = true }
        _ = broker.machine.restore(Self.snapshot, at: broker.t0)
        let listed = broker.machine.tasks(matching: TaskQuery(batch: BatchName.display([7])))
        #expect(listed.map(\.id) == ["b1", "high", "was-running", "low", "done"])
        #expect(listed.map(\.state) == ["queued", "queued", "queued", "queued", "succeeded"])
    }
}
