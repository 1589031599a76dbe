import Testing

@testable import Corsair

@Suite struct BrokerStateMachineDispatchTests {
    @Test("queues tasks until a worker of their category is ready, then dispatches")
    func queuesUntilReady() {
        var broker = BrokerHarness()
        let submitted = broker.submit([task("a1")])
        #expect(submitted.requests.isEmpty)
        #expect(broker.machine.queueDepth(category: "a") == 1)
        let requests = broker.plainWorker(w1, category: "a").requests
        #expect(requests.map(\.payload) == ["a1"])
        #expect(requests.first?.worker == w1)
        #expect(broker.machine.queueDepth(category: "a") == 0)
    }

    @Test("routes each task only to workers of its category")
    func routesByCategory() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.plainWorker(w2, category: "b")
        let requests = broker.submit([task("b1"), task("a1"), task("c1")]).requests
        #expect(Set(requests.map { "\($0.worker):\($0.payload)" }) == ["\(w2):b1", "\(w1):a1"])
        #expect(broker.machine.queueDepth(category: "c") == 1)
    }

    @Test("dispatches a category in submission order")
    func submissionOrder() throws {
        var broker = BrokerHarness()
        broker.submit([task("a1"), task("a2"), task("b1"), task("a3")])
        var order = [SentRequest]()
        order += broker.plainWorker(w1, category: "a").requests
        for _ in 0..<3 {
            order += broker.final(try #require(order.last)).requests
        }
        #expect(order.map(\.payload) == ["a1", "a2", "a3"])
    }

    @Test("dispatches higher priority first, then submission order")
    func priorityFirst() throws {
        var broker = BrokerHarness()
        broker.submit([task("a1"), task("a2", priority: 5), task("a3", priority: -1), task("a4", priority: 5)])
        var order = broker.plainWorker(w1, category: "a").requests
        for _ in 0..<3 {
            order += broker.final(try #require(order.last)).requests
        }
        #expect(order.map(\.payload) == ["a2", "a4", "a1", "a3"])
    }

    @Test("gives work to the least recently used worker first")
    func leastRecentlyUsed() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.plainWorker(w2, category: "a")
        broker.plainWorker(w3, category: "a")
        let first = broker.submit([task("a1"), task("a2")]).requests
        try #require(first.map(\.worker) == [w1, w2])
        // w2 finishes before w1: w3 (never used) is next, then w2, then w1.
        broker.final(try #require(first.last))
        broker.final(try #require(first.first))
        let next = broker.submit([task("a3"), task("a4"), task("a5")]).requests
        #expect(next.map(\.worker) == [w3, w2, w1])
    }

    @Test("sends a Corsair worker up to its credit at once, with task headers")
    func creditAndHeaders() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(7) }
        let joined = broker.corsairWorker(w1, category: "a", credit: 3)
        #expect(
            joined.sent(to: w1) == [.heartbeat(.delimited, acknowledgement: .seconds(1), maxMessageBytes: 16 << 20)])
        let requests = broker.submit([task("a1"), task("a2"), task("a3"), task("a4")]).requests
        #expect(requests.map(\.payload) == ["a1", "a2", "a3"])
        #expect(
            requests.map(\.header) == [
                TaskHeader(id: "a1", attempt: 1, timeout: .seconds(7)),
                TaskHeader(id: "a2", attempt: 1, timeout: .seconds(7)),
                TaskHeader(id: "a3", attempt: 1, timeout: .seconds(7)),
            ])
        let more = broker.final(try #require(requests.element(at: 1)), outcome: .succeeded).requests
        #expect(more.map(\.payload) == ["a4"])
    }

    @Test("spreads tasks over workers with credit instead of filling one first")
    func spreadsOverCredit() {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2)
        broker.corsairWorker(w2, category: "a", credit: 2)
        let requests = broker.submit([task("a1"), task("a2"), task("a3"), task("a4")]).requests
        #expect(requests.map(\.worker) == [w1, w2, w1, w2])
    }

    @Test("puts its task key and attempt in the envelope and maps FINAL back to the client")
    func envelopeMapping() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let request = try #require(broker.submit([task("a1")]).requests.first)
        #expect(request.token?.attempt == 1)
        let done = broker.final(request, body: "result-a1")
        let result = try #require(done.results.first)
        #expect(result.id == "a1")
        #expect(result.outcome == .succeeded)
        #expect(result.output == Array("result-a1".utf8))
        #expect(result.attempts == 1)
        #expect(result.worker == w1.description)
        #expect(result.started == 1_000_000)
        #expect(done.sent(to: client).count == 1)
    }

    @Test("acknowledges a submission before any of its results")
    func acknowledgesFirst() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let actions = broker.submit([task("a1")])
        let first = try #require(actions.sent(to: client).first)
        #expect(first == .batch(.delimited, .accepted(["a1"])))
    }
}
