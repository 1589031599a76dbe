import Synchronization
import Testing

@testable import Corsair

/// The worker's side of cancel: the machine turns CANCEL into an action for a task it holds, and the service stops
/// the handler and reports at once.
@Suite struct WorkerCancelTests {
    let t0 = ContinuousClock.now

    /// A connected worker running the task with key 1, whose broker acknowledged corsair/1.
    private func running() throws -> (WorkerStateMachine, TaskTicket) {
        var configuration = WorkerConfiguration(broker: "tcp://127.0.0.1:1", category: "a", name: "w1")
        configuration.concurrency = 2
        var worker = WorkerStateMachine(configuration: configuration, now: t0)
        let ready = worker.connected(at: t0)
        let offer = try #require(ready.compactMap { if case .send(let frames) = $0 { frames.last } else { nil } }.first)
        #expect(String(decoding: offer, as: UTF8.self).contains("cancel=1"))
        _ = worker.messageReceived(
            [MDP.workerHeader, [0x05], WorkerExtension.marker, Array("heartbeat-ms=1000".utf8)], at: t0)
        let envelope = AssignmentToken(task: TaskKey(rawValue: 1), attempt: 1).encoded
        let header = try TaskHeader(id: "t1", attempt: 1, timeout: .seconds(5)).encoded
        let actions = worker.messageReceived(
            [MDP.workerHeader, [MDP.WorkerCommand.request.rawValue], envelope, [], header, [1]], at: t0)
        let ticket = try #require(actions.compactMap { if case .run(let ticket, _) = $0 { ticket } else { nil } }.first)
        return (worker, ticket)
    }

    @Test("CANCEL for a task the worker runs asks its driver to stop it; for any other it does nothing")
    func machine() throws {
        var (worker, ticket) = try running()
        let cancel = worker.messageReceived(try MDPCodec.encode(.cancel(.rfc18, envelope: ticket.envelope)), at: t0)
        #expect(cancel == [.cancel(ticket)])
        let other = AssignmentToken(task: TaskKey(rawValue: 2), attempt: 1).encoded
        #expect(try worker.messageReceived(MDPCodec.encode(.cancel(.rfc18, envelope: other)), at: t0).isEmpty)
        // The answer goes out as usual, and frees the slot.
        let answered = worker.taskFinished(ticket, result: .failure(TaskFailure("cancelled")), at: t0)
        #expect(answered.contains { if case .send = $0 { true } else { false } })
        #expect(worker.tasksInFlight == 0)
    }

    @Test("a fired signal cancels a handler that would never return, and the cancel is reported")
    func serviceStopsHandler() async throws {
        let signal = CancelSignal()
        let reported = Mutex<[Result<[UInt8], TaskFailure>]>([])
        let task = WorkerTask(id: "t1", category: "a", attempt: 1, timeout: nil, payload: [])
        let stopped = Mutex(false)
        async let run: Void = WorkerService.execute(
            { _ in
                await withTaskCancellationHandler {
                    // Waits until the task is cancelled: a signal nobody fires.
                    _ = await CancelSignal().wait()
                    return []
                } onCancel: {
                    stopped.withLock { $0 = true }
                }
            }, task, cancel: signal
        ) { result in reported.withLock { $0.append(result) } }
        signal.fire()
        await run
        #expect(stopped.withLock { $0 })
        #expect(reported.withLock { $0 } == [.failure(TaskFailure("cancelled by the broker", isRetryable: false))])
    }

    @Test("a handler that finishes first reports its own result, and the signal's watcher ends")
    func handlerFirst() async {
        let reported = Mutex<[Result<[UInt8], TaskFailure>]>([])
        let task = WorkerTask(id: "t1", category: "a", attempt: 1, timeout: nil, payload: [])
        await WorkerService.execute({ _ in [7] }, task, cancel: CancelSignal()) { result in
            reported.withLock { $0.append(result) }
        }
        #expect(reported.withLock { $0 } == [.success([7])])
    }
}
