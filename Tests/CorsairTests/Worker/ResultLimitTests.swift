import Testing

@testable import Corsair

/// The result limit: what the broker states in its acknowledgement, what the worker lowers it to, and how a result
/// over it fails whatever handler returned it.
@Suite struct ResultLimitTests {
    let t0 = ContinuousClock.now

    func machine(acknowledgement: String, workerLimit: Int? = nil) -> WorkerStateMachine {
        var configuration = WorkerConfiguration(broker: "tcp://127.0.0.1:1", category: "a", name: "w1")
        configuration.concurrency = 2
        configuration.maxResultBytes = workerLimit
        var worker = WorkerStateMachine(configuration: configuration, now: t0)
        _ = worker.connected(at: t0)
        _ = worker.messageReceived(
            [MDP.workerHeader, [0x05], WorkerExtension.marker, Array(acknowledgement.utf8)], at: t0)
        return worker
    }

    func firstTask(_ worker: inout WorkerStateMachine) throws -> (TaskTicket, WorkerTask) {
        let header = try TaskHeader(id: "a1", attempt: 1, timeout: .seconds(3)).encoded
        let actions = worker.messageReceived([MDP.workerHeader, [0x02], [8], [], header, Array("p".utf8)], at: t0)
        let runs = actions.compactMap { if case .run(let ticket, let task) = $0 { (ticket, task) } else { nil } }
        return try #require(runs.first)
    }

    @Test("sends and reads the broker's message limit in the acknowledgement")
    func acknowledgementField() throws {
        let frames = try MDPCodec.encode(.heartbeat(.rfc18, acknowledgement: .seconds(1), maxMessageBytes: 5000))
        #expect(frames.last == Array("heartbeat-ms=1000\nmax-message-bytes=5000".utf8))
        #expect(
            try MDPCodec.decodeAtWorker(frames)
                == .heartbeat(extensionAccepted: true, brokerInterval: .seconds(1), maxMessageBytes: 5000))
        let unreadable = [MDP.workerHeader, [0x05], WorkerExtension.marker, Array("max-message-bytes=-3".utf8)]
        #expect(try MDPCodec.decodeAtWorker(unreadable) == .heartbeat(extensionAccepted: true, brokerInterval: nil))
    }

    @Test("is the broker's message limit less the framing allowance, lowered by the worker's own limit")
    func limitArithmetic() {
        #expect(ResultLimit.bytes(messageBytes: 5000, workerLimit: nil) == 5000 - ResultLimit.framingAllowance)
        #expect(ResultLimit.bytes(messageBytes: 5000, workerLimit: 100) == 100)
        #expect(ResultLimit.bytes(messageBytes: 5000, workerLimit: 1 << 30) == 5000 - ResultLimit.framingAllowance)
        #expect(ResultLimit.bytes(messageBytes: nil, workerLimit: nil) == (16 << 20) - ResultLimit.framingAllowance)
        #expect(ResultLimit.bytes(messageBytes: 10, workerLimit: nil) == 0)
    }

    @Test("tells each task the limit of the connection it came on")
    func taskCarriesLimit() throws {
        var stated = machine(acknowledgement: "heartbeat-ms=1000\nmax-message-bytes=5000")
        #expect(try firstTask(&stated).1.maxResultBytes == 5000 - ResultLimit.framingAllowance)
        var lowered = machine(acknowledgement: "heartbeat-ms=1000\nmax-message-bytes=5000", workerLimit: 200)
        #expect(try firstTask(&lowered).1.maxResultBytes == 200)
        var unstated = machine(acknowledgement: "heartbeat-ms=1000")
        #expect(try firstTask(&unstated).1.maxResultBytes == (16 << 20) - ResultLimit.framingAllowance)
    }

    @Test("fails a result over the limit for good with result_too_large, naming the limit; one at the limit passes")
    func oversizedResultRejected() throws {
        var worker = machine(acknowledgement: "heartbeat-ms=1000", workerLimit: 100)
        let (ticket, _) = try firstTask(&worker)
        let reply = worker.taskFinished(ticket, result: .success([UInt8](repeating: 1, count: 101)), at: t0)
        let frames = try #require(reply.compactMap { if case .send(let frames) = $0 { frames } else { nil } }.first)
        #expect(frames.dropLast().last == [TaskOutcome.rejected.rawValue])
        let reason = String(decoding: try #require(frames.last), as: UTF8.self)
        #expect(reason.hasPrefix("result_too_large: the result is 101 bytes, over the 100-byte result limit"))

        let header = try TaskHeader(id: "a2", attempt: 1, timeout: .seconds(3)).encoded
        let actions = worker.messageReceived([MDP.workerHeader, [0x02], [9], [], header, []], at: t0)
        let second = try #require(actions.compactMap { if case .run(let ticket, _) = $0 { ticket } else { nil } }.first)
        let fits = worker.taskFinished(second, result: .success([UInt8](repeating: 1, count: 100)), at: t0)
        let fitting = try #require(fits.compactMap { if case .send(let frames) = $0 { frames } else { nil } }.first)
        #expect(fitting.dropLast().last == [TaskOutcome.succeeded.rawValue])
        #expect(fitting.last?.count == 100)
    }
}
