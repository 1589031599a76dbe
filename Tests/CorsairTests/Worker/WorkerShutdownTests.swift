import Testing

@testable import Corsair

@Suite struct WorkerShutdownTests {
    let t0 = ContinuousClock.now

    /// A connected worker (credit 2) whose broker acknowledged corsair/1, running task `a1` under envelope `[1]`.
    func busyWorker() throws -> (WorkerStateMachine, TaskTicket) {
        var configuration = WorkerConfiguration(broker: "tcp://127.0.0.1:1", category: "a", name: "w1")
        configuration.concurrency = 2
        var worker = WorkerStateMachine(configuration: configuration, now: t0)
        _ = worker.connected(at: t0)
        _ = worker.messageReceived([MDP.workerHeader, [0x05], WorkerExtension.marker], at: t0)
        let header = try TaskHeader(id: "a1", attempt: 1, timeout: .seconds(9)).encoded
        let actions = worker.messageReceived([MDP.workerHeader, [0x02], [1], [], header, [0]], at: t0)
        let ticket = try #require(actions.compactMap { if case .run(let ticket, _) = $0 { ticket } else { nil } }.first)
        return (worker, ticket)
    }

    func sent(_ actions: [WorkerStateMachine.Action]) -> [[[UInt8]]] {
        actions.compactMap { if case .send(let frames) = $0 { frames } else { nil } }
    }

    func handBack(_ envelope: UInt8) -> [[UInt8]] {
        [
            [], MDP.workerHeader, [0x04], [envelope], [], [TaskOutcome.handedBack.rawValue],
            Array("worker shutting down".utf8),
        ]
    }

    @Test("SHUTDOWN lets the running task finish, hands new requests back, then DISCONNECT, and never reconnects")
    func finishesThenStops() throws {
        var (worker, ticket) = try busyWorker()
        let told = worker.messageReceived([MDP.workerHeader, [0x18], [0]], at: t0)
        #expect(told == [.event(.shutdownByBroker(handBack: false))])
        let header = try TaskHeader(id: "a2", attempt: 1, timeout: .seconds(9)).encoded
        #expect(
            sent(worker.messageReceived([MDP.workerHeader, [0x02], [2], [], header, [0]], at: t0)) == [handBack(2)])
        let finished = worker.taskFinished(ticket, result: .success(Array("done".utf8)), at: t0 + .seconds(1))
        #expect(
            sent(finished) == [
                [[], MDP.workerHeader, [0x04], [1], [], [0], Array("done".utf8)],
                try MDPCodec.encodeFromWorker(.disconnect),
            ])
        #expect(finished.last == .stopped)
        #expect(worker.isStopped)
        #expect(worker.nextDeadline == nil)
        #expect(worker.tick(at: t0 + .seconds(600)).isEmpty, "a stopped connection does not reconnect")
    }

    @Test("SHUTDOWN with hand-back returns the running task at once, then DISCONNECT")
    func handsBackNow() throws {
        var (worker, _) = try busyWorker()
        let told = worker.messageReceived([MDP.workerHeader, [0x18], [1]], at: t0)
        #expect(told.first == .event(.shutdownByBroker(handBack: true)))
        #expect(try sent(told) == [handBack(1), MDPCodec.encodeFromWorker(.disconnect)])
        #expect(told.last == .stopped)
    }

    @Test("SHUTDOWN from a broker that never accepted corsair/1 is a bad message and changes nothing")
    func onlyFromCorsairBroker() {
        var worker = WorkerStateMachine(
            configuration: WorkerConfiguration(broker: "tcp://127.0.0.1:1", category: "a", name: "w1"), now: t0)
        _ = worker.connected(at: t0)
        let actions = worker.messageReceived([MDP.workerHeader, [0x18], [0]], at: t0)
        guard case .event(.badMessage(let error)) = actions.first else {
            Issue.record("expected a bad message, got \(actions)")
            return
        }
        #expect(error.message.contains("before the broker accepted corsair/1"))
        #expect(!worker.isStopped)
    }
}
