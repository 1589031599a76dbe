import Testing

@testable import Corsair

/// A plain MDP/0.2 client's requests are tasks like any other: counted as submitted, listed with their client and
/// category while running and once finished, their failures visible.
@Suite struct PlainRequestTasksTests {
    /// Sends an RFC 18 REQUEST for `echo` from `client`; returns the REQUEST the broker sent a worker.
    func request(_ broker: inout BrokerHarness, _ payload: String) throws -> SentRequest {
        try #require(
            broker.receive([MDP.clientHeader, [0x01], Array("echo".utf8), Array(payload.utf8)], from: client)
                .requests.first)
    }

    @Test("plain requests are counted as submitted and listed with their client and category, failures too")
    func countedAndListed() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 3)
        let requests = try (0..<3).map { try request(&broker, "p\($0)") }
        let running = broker.machine.tasks(matching: TaskQuery(state: "running", limit: 10))
        #expect(running.count == 3)
        #expect(running.allSatisfy { $0.category == "echo" && $0.client == "mdp:\(client)" && $0.batch == nil })
        broker.final(requests[0], outcome: .succeeded, body: "p0")
        broker.final(requests[1], outcome: .succeeded, body: "p1")
        broker.final(requests[2], outcome: .rejected, body: "bad input")
        let status = broker.machine.status(at: broker.t0)
        #expect(status.submitted == 3 && status.succeeded == 2 && status.failed == 1)
        let listed = broker.machine.tasks(matching: TaskQuery(limit: 10))
        #expect(listed.map(\.state) == ["failed", "succeeded", "succeeded"])
        #expect(listed.allSatisfy { $0.category == "echo" && $0.client == "mdp:\(client)" && $0.id.hasPrefix("mdp-") })
        #expect(listed.first?.lastError == "bad input")
        #expect(broker.machine.tasks(matching: TaskQuery(state: "failed", limit: 10)).count == 1)
    }

    @Test("finished plain requests are kept within --retain-finished, as batch tasks are")
    func retained() throws {
        var broker = BrokerHarness { $0.retainFinished = 2 }
        broker.corsairWorker(w1, category: "echo", credit: 1)
        for index in 0..<4 {
            let sent = try request(&broker, "p\(index)")
            broker.final(sent, outcome: .succeeded, body: "p\(index)")
        }
        #expect(broker.machine.tasks(matching: TaskQuery(limit: 10)).count == 2)
        #expect(broker.machine.status(at: broker.t0).submitted == 4)
    }

    @Test("with every task reported, each plain request is an event the driver counts for /metrics")
    func reported() throws {
        var broker = BrokerHarness()
        broker.machine.reportsEveryTask = true
        broker.corsairWorker(w1, category: "echo", credit: 1)
        let queued = broker.receive([MDP.clientHeader, [0x01], Array("echo".utf8), Array("p".utf8)], from: client)
        let id = try #require(broker.machine.tasks(matching: TaskQuery(limit: 1)).first?.id)
        #expect(queued.events.contains(.requestQueued(id: id, category: "echo")))
        #expect(broker.machine.status(at: broker.t0).submitted == 1)
    }
}
