import Testing

@testable import Corsair

/// Fair shares: within a category and priority, batches take turns; `--ordered` categories keep submission order;
/// `--max-queued-per-client` rejects a batch's new tasks past its limit.
@Suite struct BrokerFairShareTests {
    private static let batchA: [UInt8] = [0xa]
    private static let batchB: [UInt8] = [0xb]
    private static let batchC: [UInt8] = [0xc]

    /// Tasks `\(prefix)1…\(prefix)count` of category `x`.
    private static func tasks(_ prefix: String, _ count: Int, priority: Int32 = 0) -> [TaskSpec] {
        (1...count).map { task("\(prefix)\($0)", "x", priority: priority) }
    }

    /// Answers `first` and every request the broker sends after it, one at a time (a worker with one unit of credit),
    /// failing those `fails` names on their first attempt; returns the payloads in the order they were sent.
    private static func drain(
        _ broker: inout BrokerHarness,
        from first: SentRequest,
        failing fails: Set<String> = []
    ) throws -> [String] {
        var order: [String] = []
        var next: SentRequest? = first
        while let request = next {
            order.append(request.payload)
            let fail = fails.contains(request.payload) && request.header?.attempt == 1
            next =
                broker.final(request, outcome: fail ? .failed : .succeeded, body: fail ? "flaky" : "ok").requests.first
        }
        return order
    }

    @Test("two batches queued behind each other take turns, one task each")
    func twoBatches() {
        var broker = BrokerHarness()
        broker.submit(Self.tasks("a", 4), session: Self.batchA)
        broker.submit(Self.tasks("b", 3), session: Self.batchB)
        let sent = broker.corsairWorker(w1, category: "x", credit: 10).requests
        #expect(sent.map(\.payload) == ["a1", "b1", "a2", "b2", "a3", "b3", "a4"])
    }

    @Test("three batches take turns, and a batch that runs out leaves the others to theirs")
    func threeBatches() {
        var broker = BrokerHarness()
        broker.submit(Self.tasks("a", 1), session: Self.batchA)
        broker.submit(Self.tasks("b", 3), session: Self.batchB)
        broker.submit(Self.tasks("c", 2), session: Self.batchC)
        let sent = broker.corsairWorker(w1, category: "x", credit: 10).requests
        #expect(sent.map(\.payload) == ["a1", "b1", "c1", "b2", "c2", "b3"])
    }

    @Test("a small batch that arrives behind a big one under way gets the next free worker")
    func lateSmallBatch() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "x", credit: 1)
        let first = try #require(broker.submit(Self.tasks("a", 1000), session: Self.batchA).requests.first)
        #expect(first.payload == "a1")
        #expect(broker.submit(Self.tasks("b", 3), session: Self.batchB).requests.isEmpty)
        let order = try Self.drain(&broker, from: first)
        #expect(order.prefix(8) == ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "a5"])
        #expect(order.count == 1003)
        #expect(order.filter { $0.hasPrefix("a") } == (1...1000).map { "a\($0)" })
    }

    @Test("a higher priority goes strictly first; its batches take turns, and the lower one's resume after")
    func priorities() {
        var broker = BrokerHarness()
        broker.submit(Self.tasks("a", 3), session: Self.batchA)
        broker.submit(Self.tasks("b", 2, priority: 5), session: Self.batchB)
        broker.submit(Self.tasks("c", 2, priority: 5), session: Self.batchC)
        let sent = broker.corsairWorker(w1, category: "x", credit: 10).requests
        #expect(sent.map(\.payload) == ["b1", "c1", "b2", "c2", "a1", "a2", "a3"])
    }

    @Test("an ordered category keeps submission order across batches")
    func orderedCategory() throws {
        var broker = BrokerHarness { $0.orderedCategories = ["x"] }
        broker.submit(Self.tasks("a", 3), session: Self.batchA)
        broker.submit(Self.tasks("b", 2), session: Self.batchB)
        let first = try #require(broker.corsairWorker(w1, category: "x", credit: 4).requests.first)
        #expect(try Self.drain(&broker, from: first) == ["a1", "a2", "a3", "b1", "b2"])
    }

    @Test("a retried task keeps its place ahead of its batch's later tasks, and its batch its turn")
    func retries() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "x", credit: 1)
        let first = try #require(broker.submit(Self.tasks("a", 3), session: Self.batchA).requests.first)
        broker.submit(Self.tasks("b", 3), session: Self.batchB)
        let order = try Self.drain(&broker, from: first, failing: ["a1", "b2"])
        #expect(order == ["a1", "b1", "a1", "b2", "a2", "b2", "a3", "b3"])
    }

    @Test("a plain MDP client's requests take turns with a batch")
    func plainClients() {
        var broker = BrokerHarness()
        broker.submit(Self.tasks("a", 3), session: Self.batchA)
        for body in ["m1", "m2"] {
            broker.receive([MDP.clientHeader, [0x01], Array("x".utf8), Array(body.utf8)], from: client)
        }
        let sent = broker.corsairWorker(w1, category: "x", credit: 10).requests
        #expect(sent.map(\.payload) == ["a1", "m1", "a2", "m2", "a3"])
    }

    @Test("journal restore brings each batch's queued tasks back in order, batches taking turns from the oldest")
    func restoreOrder() throws {
        var broker = BrokerHarness { $0.journaled = true }
        let batches: [(key: UInt64, batch: [UInt8], id: String)] = [
            (1, Self.batchA, "a1"), (2, Self.batchA, "a2"), (3, Self.batchB, "b1"), (4, Self.batchA, "a3"),
            (5, Self.batchB, "b2"), (6, Self.batchA, "a4"),
        ]
        let snapshot = JournalSnapshot(
            lastKey: 6,
            tasks: batches.map { key, batch, id in
                JournaledTask(
                    accepted: AcceptedTask(
                        key: key, batch: batch, id: id, category: "x", payload: Array(id.utf8), priority: 0,
                        timeoutMilliseconds: nil, maxAttempts: nil, submitted: 900_000),
                    state: key == 2 ? .running : .queued, attempts: key == 2 ? 1 : 0, worker: nil, started: nil,
                    lastError: nil, history: [], output: nil, finished: nil)
            })
        _ = broker.machine.restore(snapshot, at: broker.t0)
        let sent = broker.corsairWorker(w1, category: "x", credit: 10).requests
        #expect(sent.map(\.payload) == ["a1", "b1", "a2", "b2", "a3", "a4"])
    }

    @Test("an ordered category's restored tasks come back in submission order across batches")
    func restoreOrderedCategory() throws {
        var broker = BrokerHarness {
            $0.journaled = true
            $0.orderedCategories = ["x"]
        }
        let snapshot = JournalSnapshot(
            lastKey: 3,
            tasks: [(1, Self.batchA, "a1"), (2, Self.batchB, "b1"), (3, Self.batchA, "a2")].map { key, batch, id in
                JournaledTask(
                    accepted: AcceptedTask(
                        key: key, batch: batch, id: id, category: "x", payload: Array(id.utf8), priority: 0,
                        timeoutMilliseconds: nil, maxAttempts: nil, submitted: 900_000),
                    state: .queued, attempts: 0, worker: nil, started: nil, lastError: nil, history: [], output: nil,
                    finished: nil)
            })
        _ = broker.machine.restore(snapshot, at: broker.t0)
        let first = try #require(broker.corsairWorker(w1, category: "x", credit: 1).requests.first)
        #expect(try Self.drain(&broker, from: first) == ["a1", "b1", "a2"])
    }

    @Test("past its limit a batch's new tasks are rejected with client_queue_full, those that fit accepted")
    func perClientLimit() {
        var broker = BrokerHarness { $0.maxQueuedPerClient = 3 }
        let sent = broker.submit(Self.tasks("a", 5), session: Self.batchA)
        #expect(sent.acceptedIDs == ["a1", "a2", "a3"])
        #expect(sent.rejections.map(\.id) == ["a4", "a5"])
        #expect(sent.rejections.allSatisfy { $0.reason.hasPrefix("client_queue_full: batch '") })
        #expect(sent.rejections.first?.reason.contains("3 unfinished tasks (--max-queued-per-client 3)") == true)
        #expect(broker.machine.queueDepth(category: "x") == 3)
        // Another batch has a limit of its own.
        let other = broker.submit(Self.tasks("b", 3), session: Self.batchB)
        #expect(other.acceptedIDs == ["b1", "b2", "b3"])
        #expect(other.rejections.isEmpty)
    }

    @Test("at its limit a batch's duplicates are acknowledged, and a task that finished makes room for one more")
    func perClientLimitFrees() throws {
        var broker = BrokerHarness { $0.maxQueuedPerClient = 2 }
        broker.corsairWorker(w1, category: "x", credit: 1)
        let first = try #require(broker.submit(Self.tasks("a", 2), session: Self.batchA).requests.first)
        let full = broker.submit(Self.tasks("a", 4), session: Self.batchA)
        #expect(full.acceptedIDs == ["a1", "a2"])
        #expect(full.rejections.map(\.id) == ["a3", "a4"])
        broker.final(first, outcome: .succeeded)
        let again = broker.submit(Self.tasks("a", 4), session: Self.batchA)
        #expect(again.acceptedIDs.contains("a3"))
        #expect(again.rejections.map(\.id) == ["a4"])
        #expect(broker.machine.state(ofTask: "a3", session: Self.batchA) == "queued")
    }
}

extension [BrokerAction] {
    /// The ids of every ACCEPTED message sent.
    fileprivate var acceptedIDs: [String] {
        flatMap { action -> [String] in
            guard case .send(.batch(_, .accepted(let ids)), _) = action else { return [] }
            return ids
        }
    }

    /// The rejections of every REJECTED message sent.
    fileprivate var rejections: [TaskRejection] {
        flatMap { action -> [TaskRejection] in
            guard case .send(.batch(_, .rejected(let rejections)), _) = action else { return [] }
            return rejections
        }
    }
}
