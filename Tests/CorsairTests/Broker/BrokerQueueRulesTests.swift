import Testing

@testable import Corsair

@Suite struct BrokerQueueRulesTests {
    @Test("fails a task with no_worker when its category has had no worker for the queue timeout")
    func noWorker() throws {
        var broker = BrokerHarness { $0.queueTimeout = .seconds(30) }
        broker.submit([task("a1")])
        #expect(broker.machine.nextDeadline == broker.t0 + .seconds(1))
        #expect(broker.tick(after: .seconds(29)).results.isEmpty)
        let expired = broker.tick(after: .seconds(30))
        let result = try #require(expired.results.first)
        #expect(result.outcome == .failed)
        #expect(result.attempts == 0)
        #expect(result.worker == nil)
        #expect(String(decoding: result.output, as: UTF8.self) == "no_worker: no worker for category 'a' within 30s")
        #expect(broker.machine.queueDepth(category: "a") == 0)
    }

    @Test("answers a plain MDP client whose category never gets a worker")
    func noWorkerForMDPClient() {
        var broker = BrokerHarness { $0.queueTimeout = .seconds(5) }
        broker.receive([MDP.clientHeader, [0x01], Array("nobody".utf8), [1]], from: client)
        let replies = broker.tick(after: .seconds(5)).sent(to: client)
        guard case .reply(_, _, true, "nobody", let body)? = replies.first else {
            Issue.record("expected a FINAL, got \(replies)")
            return
        }
        #expect(body.first == Array("corsair.error".utf8))
    }

    @Test("lets a task wait while its category has workers, however busy")
    func busyWorkersKeepTasks() throws {
        var broker = BrokerHarness {
            $0.queueTimeout = .seconds(5)
            $0.taskTimeout = .seconds(60)
        }
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1"), task("a2")])
        for second in 1...10 {
            broker.receive(
                try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(second) - .milliseconds(1))
            #expect(broker.tick(after: .seconds(second)).results.isEmpty)
        }
        #expect(broker.machine.queueDepth(category: "a") == 1)
    }

    @Test("starts the queue timeout again when a category loses its last worker")
    func lastWorkerLeaves() throws {
        var broker = BrokerHarness { $0.queueTimeout = .seconds(10) }
        broker.submit([task("a1"), task("a2")])
        broker.plainWorker(w1, category: "a", after: .seconds(5))
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1, after: .seconds(8))
        // The first timeout (at 10 s) no longer counts; the clock restarted when w1 left at 8 s.
        #expect(broker.tick(after: .seconds(10)).results.isEmpty)
        #expect(broker.tick(after: .seconds(17)).results.isEmpty)
        let expired = broker.tick(after: .seconds(18))
        #expect(expired.results.map(\.id).sorted() == ["a1", "a2"])
        #expect(expired.results.first { $0.id == "a1" }?.attempts == 1)
    }

    @Test("runs an ordered category one attempt at a time, in order, retries included")
    func orderedCategory() throws {
        var broker = BrokerHarness { $0.orderedCategories = ["a"] }
        broker.corsairWorker(w1, category: "a", credit: 4)
        broker.corsairWorker(w2, category: "a", credit: 4)
        broker.plainWorker(w3, category: "b")
        let first = broker.submit([task("a1"), task("a2"), task("b1"), task("a3")]).requests
        #expect(first.map(\.payload) == ["a1", "b1"])
        let a1 = try #require(first.first)
        let retry = try #require(broker.final(a1, outcome: .failed, body: "flaky").requests.first)
        #expect(retry.payload == "a1")
        #expect(retry.header?.attempt == 2)
        let next = broker.final(retry, outcome: .succeeded).requests
        #expect(next.map(\.payload) == ["a2"])
        #expect(broker.final(try #require(next.first), outcome: .succeeded).requests.map(\.payload) == ["a3"])
    }

    @Test("keeps an ordered category waiting until a timed-out attempt is answered")
    func orderedWaitsForTimedOutAttempt() throws {
        var broker = BrokerHarness {
            $0.orderedCategories = ["a"]
            $0.taskTimeout = .seconds(2)
        }
        broker.corsairWorker(w1, category: "a", credit: 2)
        broker.corsairWorker(w2, category: "a", credit: 2)
        let first = try #require(broker.submit([task("a1"), task("a2")]).requests.first)
        for peer in [w1, w2] {
            broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: peer, after: .seconds(2))
        }
        let expired = broker.tick(after: .seconds(2))
        #expect(expired.requeueReasons == ["timeout"])
        #expect(expired.requests.isEmpty, "the timed-out attempt may still be running")
        let late = broker.final(first, outcome: .succeeded, after: .seconds(3))
        #expect(late.results.isEmpty)
        #expect(late.requests.map(\.payload) == ["a1"])
        #expect(late.requests.first?.header?.attempt == 2)
    }
}
