import Testing

@testable import Corsair

/// Workers that agreed to batches get TASKS messages and answer with RESULTS; every tracking rule still holds.
@Suite struct BrokerBatchTests {
    @Test("accepts a worker's batch offer and sends everything one pass assigns it as one TASKS message")
    func oneMessagePerPass() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(7) }
        let joined = broker.corsairWorker(w1, category: "a", credit: 3, batching: true)
        #expect(
            joined.sent(to: w1) == [
                .heartbeat(
                    .delimited, acknowledgement: .seconds(1), batchBytes: TaskBatch.limit.bytes,
                    maxMessageBytes: 16 << 20)
            ])
        let submitted = broker.submit([task("a1"), task("a2"), task("a3"), task("a4")])
        #expect(submitted.requests.isEmpty)
        let batches = submitted.batches
        #expect(batches.count == 1)
        #expect(batches.first?.worker == w1)
        let sent = try #require(batches.first?.tasks)
        #expect(sent.map(\.id) == ["a1", "a2", "a3"])
        #expect(sent.map(\.payload) == ["a1", "a2", "a3"].map { Array($0.utf8) })
        #expect(sent.allSatisfy { $0.token.attempt == 1 && $0.timeout == .seconds(7) })
        #expect(broker.machine.state(ofTask: "a2", session: [7]) == "running")
    }

    @Test("applies every entry of RESULTS, then refills the credit it freed in one TASKS message")
    func resultsFreeCredit() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2, batching: true)
        let first = try #require(broker.submit((1...5).map { task("a\($0)") }).batches.first?.tasks)
        let (one, two) = (try #require(first.element(at: 0)), try #require(first.element(at: 1)))
        let answered = broker.results([answer(two, .succeeded, "two"), answer(one, .succeeded, "one")], from: w1)
        #expect(answered.results.map(\.id) == ["a2", "a1"])
        #expect(answered.results.map { String(decoding: $0.output, as: UTF8.self) } == ["two", "one"])
        #expect(answered.results.allSatisfy { $0.outcome == .succeeded && $0.worker == "w-\(w1)" })
        #expect(answered.batches.map { $0.tasks.map(\.id) } == [["a3", "a4"]])
    }

    @Test("applies failed, rejected and handed-back entries as their FINALs would be")
    func outcomes() throws {
        var broker = BrokerHarness { $0.maxAttempts = 2 }
        broker.corsairWorker(w1, category: "a", credit: 3, batching: true)
        let sent = try #require(broker.submit([task("a1"), task("a2"), task("a3")]).batches.first?.tasks)
        try #require(sent.count == 3)
        let (a1, a2, a3) = (try #require(sent.first), try #require(sent.element(at: 1)), try #require(sent.last))
        let actions = broker.results(
            [answer(a3, .handedBack, ""), answer(a1, .failed, "flaky"), answer(a2, .rejected, "bad input")], from: w1)
        #expect(actions.requeueReasons == ["handed_back", "flaky"])
        #expect(actions.results.map(\.id) == ["a2"])
        #expect(actions.results.first?.outcome == .failed)
        #expect(broker.machine.attempts(ofTask: "a3", session: [7]) == 0)
        // The worker handed a task back, so it is draining and gets nothing more; a1 waits for another worker.
        #expect(actions.batches.isEmpty)
        broker.corsairWorker(w2, category: "a", credit: 5, batching: true)
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "running")
        #expect(broker.machine.attempts(ofTask: "a1", session: [7]) == 2)
    }

    @Test("ignores a late or duplicate entry: a late one frees its credit, a duplicate frees nothing")
    func lateAndDuplicateEntries() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(2) }
        broker.corsairWorker(w1, category: "a", credit: 1, batching: true)
        let first = try #require(broker.submit([task("a1"), task("a2")]).batches.first?.tasks.first)
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(2))
        let expired = broker.tick(after: .seconds(2))
        #expect(expired.requeueReasons == ["timeout"])
        #expect(expired.batches.isEmpty, "w1's credit is still held by the attempt it has not answered")
        let late = broker.results([answer(first)], from: w1, after: .seconds(3))
        #expect(late.results.isEmpty)
        #expect(late.events.contains(.lateReply(peer: w1, envelope: first.token.encoded.hexString)))
        let next = try #require(late.batches.first?.tasks.first)
        #expect(next.id == "a1")
        #expect(next.token.attempt == 2)
        let duplicate = broker.results([answer(first)], from: w1, after: .seconds(3))
        #expect(duplicate.batches.isEmpty, "a duplicate answer freed credit the worker does not have")
        #expect(broker.results([answer(next)], from: w1, after: .seconds(3)).results.map(\.id) == ["a1"])
    }

    @Test("tells a batching worker to keep RESULTS to half of --max-message-size when that is under the batch limit")
    func resultBudget() {
        var broker = BrokerHarness { $0.maxMessageSize = 4096 }
        let joined = broker.corsairWorker(w1, category: "a", credit: 3, batching: true)
        #expect(
            joined.sent(to: w1) == [
                .heartbeat(.delimited, acknowledgement: .seconds(1), batchBytes: 2048, maxMessageBytes: 4096)
            ])
    }

    @Test("splits a pass into TASKS messages of at most the batch limit")
    func splitsAtTheLimit() {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2500, batching: true)
        let sizes = broker.submit((1...2500).map { task("a\($0)") }).batches.map(\.tasks.count)
        #expect(sizes == [TaskBatch.limit.count, TaskBatch.limit.count, 500])
    }

    @Test("keeps REQUEST for workers that did not offer batches, and drops one that sends RESULTS anyway")
    func resultsWithoutAgreement() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2)
        let request = try #require(broker.submit([task("a1")]).requests.first)
        let token = try #require(request.token)
        let actions = broker.results([WorkerResult(token: token, outcome: .succeeded, output: [])], from: w1)
        #expect(actions.sent(to: w1) == [.disconnect(.delimited)])
        #expect(actions.requeueReasons == ["worker_lost"])
        #expect(actions.results.isEmpty)
    }
}

@Suite struct BrokerQuietTests {
    @Test(
        "with reportsEveryTask off, reports no dispatch or success events but still counts, and still reports failures")
    func quiet() throws {
        var broker = BrokerHarness { $0.maxAttempts = 1 }
        broker.machine.reportsEveryTask = false
        broker.corsairWorker(w1, category: "a", credit: 2, batching: true)
        let submitted = broker.submit([task("a1"), task("a2")])
        #expect(!submitted.events.contains { if case .taskDispatched = $0 { true } else { false } })
        let sent = try #require(submitted.batches.first?.tasks)
        let (a1, a2) = (try #require(sent.element(at: 0)), try #require(sent.element(at: 1)))
        let answered = broker.results([answer(a1), answer(a2, .failed, "broken")], from: w1)
        #expect(answered.results.map(\.id) == ["a1", "a2"])
        let finished = answered.events.compactMap { event -> TaskOutcome? in
            guard case .taskFinished(_, _, let outcome, _, _) = event else { return nil }
            return outcome
        }
        #expect(finished == [.failed])
        #expect(broker.machine.statistics.succeeded == 1)
        #expect(broker.machine.statistics.failed == 1)
    }
}

@Suite struct BrokerDeadlineTests {
    @Test("forgets the deadlines of answered attempts, so they do not pile up for a whole timeout")
    func deadlinesDoNotPileUp() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(600) }
        broker.corsairWorker(w1, category: "a", credit: 10, batching: true)
        var sent = try #require(broker.submit((1...1000).map { task("a\($0)") }).batches.first?.tasks)
        var finished = 0
        var step = 0
        while !sent.isEmpty {
            step += 1
            let actions = broker.results(sent.map { answer($0) }, from: w1, after: .milliseconds(step))
            finished += actions.results.count
            broker.tick(after: .milliseconds(step))
            #expect(broker.machine.deadlineCount <= 10)
            sent = actions.batches.flatMap(\.tasks)
        }
        #expect(finished == 1000)
    }

    @Test("still times out an attempt dispatched after others with their own, longer timeouts")
    func mixedTimeouts() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(5) }
        broker.corsairWorker(w1, category: "a", credit: 3, batching: true)
        var slow = task("a1")
        slow.timeout = .seconds(60)
        broker.submit([slow, task("a2")])
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(2))
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(4))
        let expired = broker.tick(after: .seconds(5))
        #expect(expired.requeueReasons == ["timeout"])
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "running")
    }
}
