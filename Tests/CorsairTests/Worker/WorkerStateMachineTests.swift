import Testing

@testable import Corsair

@Suite struct WorkerStateMachineTests {
    let t0 = ContinuousClock.now

    func machine(_ configure: (inout WorkerConfiguration) -> Void = { _ in }) -> WorkerStateMachine {
        var configuration = WorkerConfiguration(broker: "tcp://127.0.0.1:1", category: "a", name: "w1")
        configuration.concurrency = 2
        configure(&configuration)
        return WorkerStateMachine(configuration: configuration, now: t0)
    }

    func sent(_ actions: [WorkerStateMachine.Action]) -> [[[UInt8]]] {
        actions.compactMap { if case .send(let frames) = $0 { frames } else { nil } }
    }

    func runs(_ actions: [WorkerStateMachine.Action]) -> [(TaskTicket, WorkerTask)] {
        actions.compactMap { if case .run(let ticket, let task) = $0 { (ticket, task) } else { nil } }
    }

    /// A connected worker whose broker acknowledged corsair/1 with `acknowledgement` (`batch=1` and friends).
    func batchingMachine(
        _ acknowledgement: String = "batch=1",
        _ configure: (inout WorkerConfiguration) -> Void = { _ in }
    ) -> WorkerStateMachine {
        var worker = machine(configure)
        _ = worker.connected(at: t0)
        _ = worker.messageReceived(
            [MDP.workerHeader, [0x05], WorkerExtension.marker, Array(acknowledgement.utf8)], at: t0)
        return worker
    }

    /// Tasks 1…`count` of a TASKS message, first attempts with a 5 s timeout.
    func assignedTasks(_ count: Int, payload: (Int) -> [UInt8] = { _ in [] }) -> [AssignedTask] {
        (1...count).map {
            AssignedTask(
                token: AssignmentToken(task: TaskKey(rawValue: UInt64($0)), attempt: 1), id: "t\($0)",
                timeout: .seconds(5), payload: payload($0))
        }
    }

    /// The TASKS message carrying `tasks`.
    func tasksMessage(_ tasks: [AssignedTask]) -> [[UInt8]] {
        [MDP.workerHeader, [TaskBatch.tasksCommand], wire(try TaskBatch.encode(tasks))]
    }

    @Test("connects at once and registers with READY offering corsair/1")
    func registers() throws {
        var worker = machine()
        #expect(worker.tick(at: t0) == [.connect])
        let ready = try #require(sent(worker.connected(at: t0)).first)
        var offer = WorkerOffer(
            credit: 2, heartbeatInterval: .seconds(1), name: "w1", batching: true, cancels: true)
        offer.version = CorsairVersion.current
        offer.acceptsShutdown = true
        #expect(try ready == MDPCodec.encodeFromWorker(.ready(category: "a", offer: offer)))
    }

    @Test("speaks plain MDP until the broker acknowledges the extension")
    func plainUntilAcknowledged() throws {
        var worker = machine()
        _ = worker.connected(at: t0)
        let plain = runs(worker.messageReceived([[], MDP.workerHeader, [0x02], [9], [], Array("x".utf8)], at: t0))
        let (ticket, task) = try #require(plain.first)
        #expect(task.id == nil)
        #expect(task.payload == Array("x".utf8))
        let reply = sent(worker.taskFinished(ticket, result: .success(Array("y".utf8)), at: t0))
        #expect(reply == [[[], MDP.workerHeader, [0x04], [9], [], Array("y".utf8)]])

        #expect(
            worker.messageReceived([MDP.workerHeader, [0x05], WorkerExtension.marker], at: t0) == [
                .event(.extensionAccepted)
            ])
        let header = try TaskHeader(id: "a1", attempt: 2, timeout: .seconds(3)).encoded
        let extended = runs(
            worker.messageReceived([MDP.workerHeader, [0x02], [8], [], header, Array("p".utf8)], at: t0))
        let (ticket2, task2) = try #require(extended.first)
        #expect(
            task2 == WorkerTask(id: "a1", category: "a", attempt: 2, timeout: .seconds(3), payload: Array("p".utf8)))
        let failure = sent(
            worker.taskFinished(ticket2, result: .failure(TaskFailure("bad", isRetryable: false)), at: t0))
        #expect(
            failure == [[[], MDP.workerHeader, [0x04], [8], [], [TaskOutcome.rejected.rawValue], Array("bad".utf8)]])
    }

    @Test("heartbeats after an interval of sending nothing")
    func heartbeats() throws {
        var worker = machine()
        _ = worker.connected(at: t0)
        #expect(worker.tick(at: t0 + .milliseconds(500)).isEmpty)
        #expect(try sent(worker.tick(at: t0 + .seconds(1))) == [MDPCodec.encodeFromWorker(.heartbeat)])
    }

    @Test("reconnects with doubling backoff when the broker goes silent, capped at the maximum")
    func reconnectBackoff() throws {
        var worker = machine { $0.reconnectMaximum = .seconds(4) }
        var now = t0
        _ = worker.connected(at: now)
        var delays: [Duration] = []
        for _ in 0..<4 {
            // Stay connected but hear nothing for liveness × interval (3 s), heartbeating on the way.
            for step in 1...2 { #expect(!worker.tick(at: now + .seconds(step)).contains(.closeSocket)) }
            now = now + .seconds(3)
            let actions = worker.tick(at: now)
            #expect(actions.contains(.closeSocket))
            for case .event(.reconnecting(let delay)) in actions { delays.append(delay) }
            now = now + (try #require(delays.last))
            #expect(worker.tick(at: now) == [.connect])
            _ = worker.connected(at: now)
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(4)])
    }

    @Test("resets the backoff once the broker answers again")
    func backoffResets() {
        var worker = machine()
        _ = worker.connected(at: t0)
        _ = worker.tick(at: t0 + .seconds(4))
        _ = worker.tick(at: t0 + .seconds(5))
        _ = worker.connected(at: t0 + .seconds(5))
        _ = worker.messageReceived([MDP.workerHeader, [0x05]], at: t0 + .seconds(5))
        let actions = worker.tick(at: t0 + .seconds(9))
        #expect(actions.contains(.event(.reconnecting(after: .seconds(1)))))
    }

    @Test("gives up when the broker stays away longer than give-up-after")
    func givesUp() {
        var worker = machine { $0.giveUpAfter = .seconds(5) }
        _ = worker.connected(at: t0)
        _ = worker.tick(at: t0 + .seconds(4))
        #expect(!worker.tick(at: t0 + .seconds(8)).contains(.giveUp))
        #expect(worker.tick(at: t0 + .seconds(9)).contains(.giveUp))
        #expect(worker.isStopped)
    }

    @Test("reconnects on DISCONNECT and drops results of tasks from the old connection")
    func disconnectDropsOldResults() throws {
        var worker = machine()
        _ = worker.connected(at: t0)
        let (ticket, _) = try #require(
            runs(worker.messageReceived([MDP.workerHeader, [0x02], [1], [], [0]], at: t0)).first)
        #expect(worker.messageReceived([MDP.workerHeader, [0x06]], at: t0).contains(.closeSocket))
        _ = worker.tick(at: t0 + .seconds(1))
        _ = worker.connected(at: t0 + .seconds(1))
        #expect(worker.taskFinished(ticket, result: .success([]), at: t0 + .seconds(1)) == [.event(.resultDropped)])
    }

    @Test("drains: takes no new tasks, finishes those in flight, then sends DISCONNECT")
    func drains() throws {
        var worker = machine()
        _ = worker.connected(at: t0)
        let (ticket, _) = try #require(
            runs(worker.messageReceived([MDP.workerHeader, [0x02], [1], [], [0]], at: t0)).first)
        #expect(worker.drain(at: t0).isEmpty)
        #expect(runs(worker.messageReceived([MDP.workerHeader, [0x02], [2], [], [0]], at: t0)).isEmpty)
        let finished = worker.taskFinished(ticket, result: .success([1]), at: t0)
        #expect(try sent(finished).last == MDPCodec.encodeFromWorker(.disconnect))
        #expect(finished.last == .stopped)
        #expect(worker.isStopped)
    }

    @Test("hands tasks back to a Corsair broker when draining: new requests at once, running ones at the timeout")
    func handsBack() throws {
        var worker = machine()
        _ = worker.connected(at: t0)
        _ = worker.messageReceived([MDP.workerHeader, [0x05], WorkerExtension.marker], at: t0)
        let header = try TaskHeader(id: "a1", attempt: 1, timeout: .seconds(9)).encoded
        _ = worker.messageReceived([MDP.workerHeader, [0x02], [1], [], header, [0]], at: t0)
        #expect(worker.drain(at: t0).isEmpty)
        let handBack: (UInt8) -> [[UInt8]] = { envelope in
            [
                [], MDP.workerHeader, [0x04], [envelope], [], [TaskOutcome.handedBack.rawValue],
                Array("worker shutting down".utf8),
            ]
        }
        let header2 = try TaskHeader(id: "a2", attempt: 1, timeout: .seconds(9)).encoded
        let refused = worker.messageReceived([MDP.workerHeader, [0x02], [2], [], header2, [0]], at: t0)
        #expect(sent(refused) == [handBack(2)])
        let stopped = worker.stop(at: t0 + .seconds(30))
        #expect(try sent(stopped) == [handBack(1), MDPCodec.encodeFromWorker(.disconnect)])
        #expect(stopped.last == .stopped)
    }

    @Test("judges broker silence by the longer of its own and the broker's announced interval")
    func brokerIntervalNegotiated() {
        var worker = machine()
        _ = worker.connected(at: t0)
        _ = worker.messageReceived(
            [MDP.workerHeader, [0x05], WorkerExtension.marker, Array("heartbeat-ms=5000".utf8)], at: t0)
        for second in 1...14 {
            #expect(!worker.tick(at: t0 + .seconds(second)).contains(.closeSocket), "reconnected at \(second) s")
        }
        #expect(worker.tick(at: t0 + .seconds(15)).contains(.closeSocket))
    }

    @Test("with batches agreed, runs every task of a TASKS message and answers them in one RESULTS message")
    func batches() throws {
        var worker = batchingMachine("heartbeat-ms=1000\nbatch=1") { $0.concurrency = 3 }
        #expect(worker.batchingAccepted)
        let assigned = assignedTasks(3) { [UInt8($0)] }
        let started = runs(worker.messageReceived(tasksMessage(assigned), at: t0))
        #expect(
            started.map(\.1)
                == assigned.map {
                    WorkerTask(id: $0.id, category: "a", attempt: 1, timeout: .seconds(5), payload: $0.payload)
                })
        #expect(worker.tasksInFlight == 3)
        // Results wait for the flush at the end of the driver's pass, then leave together, failures included.
        let results: [Result<[UInt8], TaskFailure>] = [
            .success([10]), .failure(TaskFailure("no", isRetryable: false)), .failure(TaskFailure("again")),
        ]
        for ((ticket, _), result) in zip(started, results) {
            #expect(sent(worker.taskFinished(ticket, result: result, at: t0)).isEmpty)
        }
        let answers: [(TaskOutcome, [UInt8])] = [
            (.succeeded, [10]), (.rejected, Array("no".utf8)), (.failed, Array("again".utf8)),
        ]
        let expected = zip(assigned, answers).map { WorkerResult(token: $0.token, outcome: $1.0, output: $1.1) }
        #expect(try sent(worker.flushResults(at: t0)) == [MDPCodec.encodeFromWorker(.results(expected))])
        #expect(worker.flushResults(at: t0).isEmpty)
        #expect(worker.tasksInFlight == 0)
    }

    @Test("sends gathered results before DISCONNECT when draining, and drops them when the connection is lost")
    func batchedResultsAroundStops() throws {
        var worker = batchingMachine()
        let task = AssignedTask(
            token: AssignmentToken(task: TaskKey(rawValue: 7), attempt: 2), id: "t7", timeout: .seconds(5), payload: [])
        let (ticket, _) = try #require(runs(worker.messageReceived(tasksMessage([task]), at: t0)).first)
        #expect(worker.drain(at: t0).isEmpty)
        let finished = worker.taskFinished(ticket, result: .success([1]), at: t0)
        #expect(
            sent(finished) == [
                try MDPCodec.encodeFromWorker(
                    .results([WorkerResult(token: task.token, outcome: .succeeded, output: [1])])),
                try MDPCodec.encodeFromWorker(.disconnect),
            ])

        var lost = batchingMachine()
        let (ticket2, _) = try #require(runs(lost.messageReceived(tasksMessage([task]), at: t0)).first)
        #expect(sent(lost.taskFinished(ticket2, result: .success([1]), at: t0)).isEmpty)
        #expect(lost.messageReceived([MDP.workerHeader, [0x06]], at: t0).contains(.closeSocket))
        #expect(lost.flushResults(at: t0).isEmpty)
    }

    @Test("while draining, hands back each task of a TASKS message, and at the stop the running ones in envelope order")
    func drainingHandsBackBatches() throws {
        var worker = batchingMachine { $0.concurrency = 4 }
        let running = assignedTasks(2)
        #expect(runs(worker.messageReceived(tasksMessage(running.reversed()), at: t0)).count == 2)
        #expect(worker.drain(at: t0).isEmpty)
        func handBack(_ task: AssignedTask) -> [[UInt8]] {
            [
                [], MDP.workerHeader, [0x04], task.token.encoded, [], [TaskOutcome.handedBack.rawValue],
                Array("worker shutting down".utf8),
            ]
        }
        let late = Array(assignedTasks(4).suffix(2))
        let refused = worker.messageReceived(tasksMessage(late), at: t0)
        #expect(sent(refused) == late.map(handBack))
        #expect(refused.filter { $0 == .event(.requestHandedBack) }.count == 2)
        #expect(runs(refused).isEmpty)
        #expect(worker.tasksInFlight == 2)
        let stopped = worker.stop(at: t0 + .seconds(30))
        #expect(try sent(stopped) == running.map(handBack) + [MDPCodec.encodeFromWorker(.disconnect)])
        #expect(stopped.last == .stopped)
    }

    @Test("keeps each RESULTS message within the bytes the broker allows, and sends an oversized result alone")
    func resultBudget() throws {
        var worker = batchingMachine("batch=1\nbatch-bytes=2048") { $0.concurrency = 4 }
        let started = runs(worker.messageReceived(tasksMessage(assignedTasks(4)), at: t0))
        let outputs = [1000, 1000, 1000, 5000].map { [UInt8](repeating: 7, count: $0) }
        var messages: [[[UInt8]]] = []
        for (ticket, output) in zip(started.map(\.0), outputs) {
            messages += sent(worker.taskFinished(ticket, result: .success(output), at: t0))
        }
        messages += sent(worker.flushResults(at: t0))
        let batches = try messages.map { try TaskBatch.decodeResults($0[3], frame: 3, of: 4).map(\.output.count) }
        #expect(batches == [[1000, 1000], [1000], [5000]])
        #expect(messages.dropLast().allSatisfy { $0[3].count <= 5 + 2048 })
    }

    @Test("refuses TASKS from a broker that did not agree to batches")
    func tasksWithoutAgreement() {
        var worker = machine()
        _ = worker.connected(at: t0)
        _ = worker.messageReceived([MDP.workerHeader, [0x05], WorkerExtension.marker], at: t0)
        let actions = worker.messageReceived(tasksMessage([]), at: t0)
        #expect(runs(actions).isEmpty)
        guard case .event(.badMessage) = actions.first else {
            Issue.record("expected a badMessage event, got \(actions)")
            return
        }
    }

    @Test("ignores malformed messages from the broker and reports them")
    func badMessage() {
        var worker = machine()
        _ = worker.connected(at: t0)
        let actions = worker.messageReceived([Array("junk".utf8)], at: t0)
        guard case .event(.badMessage) = actions.first else {
            Issue.record("expected a badMessage event, got \(actions)")
            return
        }
    }
}
