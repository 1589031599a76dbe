import Testing

@testable import Corsair

/// What a durable broker's machine asks its journal to store, and that an in-memory one asks nothing.
@Suite struct BrokerJournalRecordTests {
    @Test("an in-memory broker emits no journal record")
    func inMemoryEmitsNothing() {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2)
        var actions = broker.submit([task("a1"), task("a2")])
        for request in actions.requests {
            actions += broker.final(request, outcome: .succeeded)
        }
        #expect(actions.results.count == 2)
        #expect(actions.journalRecords.isEmpty)
    }

    @Test("records each accepted task with everything needed to run it again, then its attempt, then its end")
    func acceptedStartedFinished() throws {
        var broker = BrokerHarness { $0.journaled = true }
        broker.corsairWorker(w1, category: "a", credit: 1)
        let spec = TaskSpec(
            id: "a1", category: "a", payload: [1, 2], priority: 5, timeout: .seconds(3), maxAttempts: 4)
        let submitted = broker.submit([spec, task("a2")], session: [9], after: .milliseconds(10))
        let records = submitted.journalRecords
        try #require(records.count == 3)
        #expect(
            records.first
                == .accepted(
                    AcceptedTask(
                        key: 1, batch: [9], id: "a1", category: "a", payload: [1, 2], priority: 5,
                        timeoutMilliseconds: 3000, maxAttempts: 4, submitted: 1_000_010)))
        guard case .accepted(let second) = records.element(at: 1) else {
            Issue.record("expected the second task's record, got \(records)")
            return
        }
        #expect(second.key == 2 && second.id == "a2" && second.timeoutMilliseconds == nil)
        #expect(records.last == .attemptStarted(key: 1, attempt: 1, worker: "w-\(w1)", started: 1_000_010))
        let request = try #require(submitted.requests.first)
        let finished = broker.final(request, outcome: .succeeded, body: "done", after: .milliseconds(30))
        #expect(
            finished.journalRecords.first
                == .finished(
                    FinishedTask(
                        key: 1, outcome: .succeeded, output: Array("done".utf8), attempts: 1, finished: 1_000_030,
                        lastError: nil)))
        #expect(
            finished.journalRecords.last == .attemptStarted(key: 2, attempt: 1, worker: "w-\(w1)", started: 1_000_030))
    }

    @Test("records a requeue with the attempt's history line; a task given back unrun records no line")
    func attemptEnded() throws {
        var broker = BrokerHarness {
            $0.journaled = true
            $0.maxAttempts = 2
        }
        broker.corsairWorker(w1, category: "a", credit: 1)
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let failed = broker.final(first, outcome: .failed, body: "flaky")
        #expect(
            failed.journalRecords.first
                == .attemptEnded(key: 1, attempts: 1, reason: "flaky", historyLine: "attempt 1 on w-\(w1): flaky"))
        let second = try #require(failed.requests.first)
        let handedBack = broker.final(second, outcome: .handedBack, body: "")
        #expect(
            handedBack.journalRecords == [.attemptEnded(key: 1, attempts: 1, reason: "handed_back", historyLine: nil)])
    }

    @Test("a task out of attempts records only its end, with the last reason")
    func outOfAttempts() throws {
        var broker = BrokerHarness {
            $0.journaled = true
            $0.maxAttempts = 1
        }
        broker.corsairWorker(w1, category: "a", credit: 1)
        let request = try #require(broker.submit([task("a1")]).requests.first)
        let records = broker.final(request, outcome: .failed, body: "boom").journalRecords
        try #require(records.count == 1)
        guard case .finished(let finished) = records.first else {
            Issue.record("expected a finished record, got \(records)")
            return
        }
        #expect(finished.outcome == .failed && finished.attempts == 1 && finished.lastError == "boom")
    }

    @Test("a duplicate task id adds no record; plain MDP requests are never journaled")
    func duplicatesAndPlainRequests() {
        var broker = BrokerHarness { $0.journaled = true }
        #expect(broker.submit([task("a1")]).journalRecords.count == 1)
        #expect(broker.submit([task("a1")]).journalRecords.isEmpty)
        broker.plainWorker(w1, category: "m")
        let request: [[UInt8]] = [MDP.clientHeader, [0x01], Array("m".utf8), [1]]
        let actions = broker.receive(request, from: PeerID([0xc2]))
        #expect(actions.requests.count == 1)
        #expect(actions.journalRecords.isEmpty)
    }

    @Test("while submissions are refused every task is rejected with the reason and nothing is recorded")
    func refusedSubmissions() {
        var broker = BrokerHarness { $0.journaled = true }
        broker.machine.refuseSubmissions("journal_full")
        let refused = broker.submit([task("a1"), task("a2")])
        #expect(refused.journalRecords.isEmpty)
        #expect(
            refused.sent(to: client) == [
                .batch(
                    .delimited,
                    .rejected([
                        TaskRejection(id: "a1", reason: "journal_full"),
                        TaskRejection(id: "a2", reason: "journal_full"),
                    ]))
            ])
        broker.machine.refuseSubmissions(nil)
        #expect(broker.submit([task("a1")]).journalRecords.count == 1)
    }

    @Test("only acknowledgements and results wait for the journal; everything else leaves at once")
    func whatWaits() {
        #expect(BrokerOutbound.batch(.delimited, .accepted(["a"])).waitsForJournal)
        #expect(BrokerOutbound.batch(.delimited, .results([])).waitsForJournal)
        #expect(!BrokerOutbound.batch(.delimited, .rejected([])).waitsForJournal)
        #expect(!BrokerOutbound.batch(.delimited, .pong(sessionKnown: true)).waitsForJournal)
        #expect(!BrokerOutbound.disconnect(.delimited).waitsForJournal)
    }
}

extension [BrokerAction] {
    /// The journal records among the actions, in order.
    var journalRecords: [JournalRecord] {
        compactMap {
            guard case .journal(let record) = $0 else { return nil }
            return record
        }
    }
}
