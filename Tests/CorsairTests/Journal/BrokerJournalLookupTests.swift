import Testing

@testable import Corsair

/// De-duplication by (batch, id) after a restart that restored fewer finished tasks than the journal holds: the
/// machine asks its driver to read the journal, and a resubmitted id is answered with its stored result.
@Suite struct BrokerJournalLookupTests {
    /// A finished task of batch `[7]` as the journal holds it.
    private static func finished(_ key: UInt64, id: String) -> JournaledTask {
        JournaledTask(
            accepted: AcceptedTask(
                key: key, batch: [7], id: id, category: "a", payload: Array(id.utf8), priority: 0,
                timeoutMilliseconds: nil, maxAttempts: nil, submitted: 900_000),
            state: .succeeded, attempts: 1, worker: "old-worker", started: 950_000, lastError: nil, history: [],
            output: Array("out-\(id)".utf8), finished: 990_000)
    }

    /// The journal the tests read: keys 1…3 finished, only key 3 restored (`--retain-finished 1`).
    private static let journal = [finished(1, id: "old1"), finished(2, id: "old2"), finished(3, id: "kept")]

    /// A broker restored from ``journal`` with `--retain-finished 1`.
    private static func restarted() -> BrokerHarness {
        var broker = BrokerHarness {
            $0.journaled = true
            $0.retainFinished = 1
        }
        _ = broker.machine.restore(JournalSnapshot(lastKey: 3, tasks: [journal[2]]), at: broker.t0)
        return broker
    }

    /// Carries out `actions`' look-ups as the driver does, against ``journal``; returns the actions that follow.
    private static func lookUp(_ actions: [BrokerAction], in broker: inout BrokerHarness) -> [BrokerAction] {
        var actions = actions
        var lookups = 0
        while case .lookUp(let lookup, let message)? = actions.first(where: \.isLookUp) {
            lookups += 1
            switch lookup {
            case .ids(let session, let create, let after):
                // One task a slice, so that reading in slices is tested too.
                let slice = journal.filter { $0.accepted.batch == session && $0.accepted.key > after }.prefix(1)
                let forgotten = slice.filter { !broker.machine.holds($0.accepted.key) }.map {
                    (hash: TaskIDIndex.hash($0.accepted.id), key: $0.accepted.key)
                }
                broker.machine.journaledIDsRead(
                    forgotten, newest: forgotten.last?.key ?? 0, readThrough: slice.last?.accepted.key ?? after,
                    complete: slice.isEmpty, session: session, create: create)
            case .results(let session, let keys):
                let results = journal.filter { $0.accepted.batch == session && keys.contains($0.accepted.key) }.map {
                    KeyedResult(key: $0.accepted.key, result: $0.result)
                }
                broker.machine.journaledResultsRead(results, keys: keys, session: session)
            }
            actions = broker.machine.lookedUp(message, at: broker.t0)
        }
        #expect(lookups <= journal.count + 2, "a session's ids are read once, then only the repeated ones")
        return actions
    }

    @Test("a resubmitted id the restart did not restore is a duplicate, answered with its stored result")
    func forgottenDuplicate() throws {
        var broker = Self.restarted()
        let held = broker.submit([task("old1", "a"), task("kept", "a"), task("new", "a")])
        #expect(held.allSatisfy { $0.isLookUp }, "the submission waits for the journal: \(held)")
        let actions = Self.lookUp(held, in: &broker)
        #expect(actions.sent(to: client).first == .batch(.delimited, .accepted(["old1", "kept", "new"])))
        #expect(actions.results.map(\.id) == ["old1", "kept"])
        #expect(actions.results.first?.output == Array("out-old1".utf8))
        #expect(actions.journalRecords.count == 1, "only the new task is journaled: \(actions.journalRecords)")
        #expect(broker.machine.queueDepth(category: "a") == 1)
    }

    @Test("once read, a submission of new ids to the session takes no look-up; a second resubmission is answered")
    func readOnce() throws {
        var broker = Self.restarted()
        _ = Self.lookUp(broker.submit([task("n1", "a")]), in: &broker)
        let fresh = broker.submit([task("n2", "a")])
        #expect(!fresh.contains { $0.isLookUp })
        #expect(fresh.sent(to: client).first == .batch(.delimited, .accepted(["n2"])))
        let again = Self.lookUp(broker.submit([task("old2", "a")]), in: &broker)
        #expect(again.results.map(\.id) == ["old2"])
        #expect(broker.machine.queueDepth(category: "a") == 2)
    }

    @Test("a task that left the journal (its TTL passed) runs again when resubmitted")
    func expired() throws {
        var broker = Self.restarted()
        _ = Self.lookUp(broker.submit([task("n1", "a")]), in: &broker)
        let held = broker.submit([task("old1", "a")])
        guard case .lookUp(.results(let session, let keys), let message)? = held.first else {
            Issue.record("expected a look-up of the repeated id, got \(held)")
            return
        }
        broker.machine.journaledResultsRead([], keys: keys, session: session)
        let actions = broker.machine.lookedUp(message, at: broker.t0)
        #expect(actions.results.isEmpty)
        #expect(actions.journalRecords.count == 1)
        #expect(broker.machine.queueDepth(category: "a") == 2)
    }

    @Test("an ATTACH after the restart knows a batch only the journal holds, and its replay reaches those keys")
    func attachUnrestoredBatch() throws {
        var broker = Self.restarted()
        let watcher = PeerID([0xa1])
        let held = broker.receive(try ClientMessage.attach(session: [7], after: 0, options: []).encoded, from: watcher)
        let actions = Self.lookUp(held, in: &broker)
        #expect(
            actions.sent(to: watcher).first
                == .batch(
                    .delimited, .attached(AttachStatus(flags: [.durable, .sessionKnown], tasks: 3, unfinished: 0))))
        #expect(actions.contains(.replayResults(session: [7], after: 0, limit: 1000, to: watcher)))
        let unknown = Self.lookUp(
            broker.receive(try ClientMessage.attach(session: [8], after: 0, options: []).encoded, from: watcher),
            in: &broker)
        #expect(
            unknown.sent(to: watcher) == [
                .batch(.delimited, .attached(AttachStatus(flags: [.durable], tasks: 0, unfinished: 0)))
            ])
    }

    @Test("a restart that restored every finished task reads nothing")
    func completeRestore() throws {
        var broker = BrokerHarness {
            $0.journaled = true
            $0.retainFinished = 10
        }
        _ = broker.machine.restore(JournalSnapshot(lastKey: 3, tasks: Self.journal), at: broker.t0)
        let actions = broker.submit([task("old1", "a"), task("new", "a")])
        #expect(!actions.contains { $0.isLookUp })
        #expect(actions.results.map(\.id) == ["old1"])
    }

    @Test("corsair tasks by batch on a durable broker is answered by the driver, which reads the journal too")
    func tasksQuery() throws {
        var broker = BrokerHarness { $0.journaled = true }
        let query = TaskQuery(batch: "night", limit: 5)
        let asked = broker.receive(try ClientMessage.query(.tasks(query)).encoded, from: client)
        #expect(asked == [.answerTasks(query, framing: .delimited, to: client)])
        let status = broker.receive(try ClientMessage.query(.status).encoded, from: client)
        guard case .send(.batch(_, .report), client)? = status.first else {
            Issue.record("the status is answered from memory, got \(status)")
            return
        }
    }
}

extension BrokerAction {
    fileprivate var isLookUp: Bool {
        if case .lookUp = self { return true }
        return false
    }
}
