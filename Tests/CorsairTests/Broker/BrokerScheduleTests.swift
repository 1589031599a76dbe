import Testing

@testable import Corsair

/// Delayed tasks: held as scheduled until their not-before time, then queued at the first tick at or after it.
@Suite struct BrokerScheduleTests {
    /// A broker whose workers are not expired by the long ticks these tests take.
    private static func broker(queueTimeout: Duration = .seconds(60)) -> BrokerHarness {
        BrokerHarness {
            $0.heartbeatInterval = .seconds(100)
            $0.taskTimeout = .seconds(100)
            $0.queueTimeout = queueTimeout
        }
    }

    @Test("a delayed task is scheduled until its time and dispatched at the first tick at or after it")
    func delay() throws {
        var broker = Self.broker()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let submitted = broker.submit([task("a1", schedule: .delay(.seconds(30))), task("a2")])
        let running = try #require(submitted.requests.first)
        #expect(running.payload == "a2")
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "scheduled")
        #expect(broker.machine.nextDeadline == broker.t0 + .seconds(30))
        // The worker is free long before a1's time, and a1 still waits.
        #expect(broker.final(running, outcome: .succeeded, after: .seconds(1)).requests.isEmpty)
        #expect(broker.tick(after: .seconds(30) - .milliseconds(1)).requests.isEmpty)
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "scheduled")
        let due = broker.tick(after: .seconds(30))
        #expect(due.requests.map(\.payload) == ["a1"])
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "running")
    }

    @Test("a not-before time is read against the broker's wall clock anchor")
    func notBefore() throws {
        var broker = Self.broker()
        broker.corsairWorker(w1, category: "a", credit: 2)
        // The harness anchors t0 at Unix time 1 000 000 ms.
        let submitted = broker.submit([
            task("a1", schedule: .notBefore(unixMilliseconds: 1_005_000)),
            task("a2", schedule: .notBefore(unixMilliseconds: 999_000)),
        ])
        #expect(submitted.requests.map(\.payload) == ["a2"])
        let listed = broker.machine.tasks(matching: TaskQuery(state: "scheduled"))
        #expect(listed.map(\.id) == ["a1"])
        #expect(listed.first?.notBefore == 1_005_000)
        #expect(broker.tick(after: .seconds(5)).requests.map(\.payload) == ["a1"])
    }

    @Test("the queue timeout of a delayed task in a category without workers starts when it joins its queue")
    func queueTimeoutStartsLate() throws {
        var broker = Self.broker(queueTimeout: .seconds(10))
        broker.submit([task("a1", schedule: .delay(.seconds(30)))])
        #expect(broker.tick(after: .seconds(35)).results.isEmpty)
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "queued")
        #expect(broker.tick(after: .seconds(45) - .milliseconds(1)).results.isEmpty)
        let expired = broker.tick(after: .seconds(45))
        #expect(expired.results.map(\.id) == ["a1"])
        #expect(expired.results.first?.outcome == .failed)
    }

    @Test("a cancelled scheduled task is never queued")
    func cancelledWhileScheduled() throws {
        var broker = Self.broker()
        broker.corsairWorker(w1, category: "a", credit: 1)
        broker.submit([task("a1", schedule: .delay(.seconds(5)))])
        let answers = try broker.cancel(CancelRequest(ids: ["a1"])).report()
        #expect(answers.map(\.state) == ["scheduled"])
        #expect(broker.tick(after: .seconds(6)).requests.isEmpty)
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "cancelled")
        #expect(broker.machine.status(at: broker.t0).tasks["scheduled"] == 0)
    }

    @Test("delayed tasks due at one tick go to their queue by priority, then submission order")
    func dueTogether() throws {
        var broker = Self.broker()
        broker.submit([
            task("a1", schedule: .delay(.seconds(2))), task("a2", priority: 5, schedule: .delay(.seconds(1))),
            task("a3", schedule: .delay(.seconds(1))),
        ])
        broker.tick(after: .seconds(3))
        let requests = broker.corsairWorker(w1, category: "a", credit: 3, after: .seconds(3)).requests
        #expect(requests.map(\.payload) == ["a2", "a1", "a3"])
    }
}

/// A task like ``task(_:_:priority:maxAttempts:)`` that waits for `schedule`.
func task(_ id: String, priority: Int32 = 0, schedule: TaskSchedule) -> TaskSpec {
    var spec = task(id, priority: priority)
    spec.schedule = schedule
    return spec
}
