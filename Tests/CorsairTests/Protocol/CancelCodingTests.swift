import Testing

@testable import Corsair

/// The wire pieces of cancel and delayed tasks: CRSC01 CANCEL, the SUBMIT schedule section, the worker's CANCEL and
/// its `cancel=1` offer.
@Suite struct CancelCodingTests {
    @Test("CANCEL carries its request as JSON and decodes at the broker")
    func cancelRoundTrip() throws {
        let request = CancelRequest(batch: "nightly", ids: ["a1", "b2"])
        let decoded = try MDPCodec.decodeAtBroker(ClientMessage.cancel(request).encoded)
        #expect(decoded == .batchClient(.cancel(request), .delimited))
    }

    @Test("a CANCEL whose frame is not a request is refused, naming the frame")
    func cancelMalformed() throws {
        let frames: [[UInt8]] = [[], ClientProtocol.header, [ClientProtocol.Command.cancel.rawValue], Array("{".utf8)]
        let error = try #require(throws: ProtocolError.self) { try MDPCodec.decodeAtBroker(frames) }
        #expect(error.frame == 3)
        #expect(error.message.hasPrefix("CANCEL is not a valid cancel request"))
    }

    @Test("schedules ride after the last task and come back on the tasks they belong to")
    func scheduleRoundTrip() throws {
        let tasks = [
            TaskSpec(id: "a1", category: "a", payload: [1]),
            TaskSpec(id: "a2", category: "a", payload: [2], schedule: .delay(.seconds(30))),
            TaskSpec(id: "a3", category: "a", payload: [3], schedule: .notBefore(unixMilliseconds: 1_800_000_000_000)),
        ]
        let decoded = try MDPCodec.decodeAtBroker(ClientMessage.submit(session: [1], tasks: tasks).encoded)
        #expect(decoded == .batchClient(.submit(session: [1], tasks: tasks), .delimited))
    }

    @Test("a SUBMIT without schedules has no section, as before")
    func noSection() throws {
        let tasks = [TaskSpec(id: "a1", category: "a", payload: [1])]
        let frame = try #require(try ClientMessage.submit(session: [1], tasks: tasks).encoded.last)
        // count, priority, timeout, attempts, category, id, payload: nothing after the payload byte.
        #expect(frame.count == 4 + 4 + 4 + 2 + 2 + 4 + 5)
    }

    @Test(
        "a malformed schedule section is refused with what is wrong",
        arguments: [
            ([0x02], "unknown SUBMIT section 0x02"),
            ([0x01, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 1], "schedule 0 names task 5 of 1"),
            ([0x01, 0, 0, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1], "schedule 0 has unknown kind 0x07"),
        ] as [([UInt8], String)])
    func malformedSection(section: [UInt8], message: String) throws {
        let encoded = try ClientMessage.submit(session: [1], tasks: [TaskSpec(id: "a1", category: "a", payload: [])])
            .encoded
        let frames = encoded.dropLast() + [(try #require(encoded.last)) + section]
        let error = try #require(throws: ProtocolError.self) { try MDPCodec.decodeAtBroker(Array(frames)) }
        #expect(error.message.contains(message))
    }

    @Test("the worker's CANCEL carries the attempt's envelope")
    func workerCancel() throws {
        let envelope = AssignmentToken(task: TaskKey(rawValue: 9), attempt: 2).encoded
        let frames = try MDPCodec.encode(.cancel(.delimited, envelope: envelope))
        #expect(frames == [[], MDP.workerHeader, [AttemptCancel.command], envelope])
        #expect(try MDPCodec.decodeAtWorker(frames) == .cancel(envelope: envelope))
        let error = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtWorker([[], MDP.workerHeader, [AttemptCancel.command]])
        }
        #expect(error.message.contains("CANCEL needs exactly one envelope frame"))
    }

    @Test("a worker offers cancel=1, and an offer without it does not take CANCEL")
    func offer() throws {
        let offer = WorkerOffer(credit: 2, heartbeatInterval: .seconds(1), name: "w", cancels: true)
        #expect(String(decoding: offer.encoded, as: UTF8.self).hasSuffix("\ncancel=1"))
        #expect(try WorkerOffer(decoding: offer.encoded, frame: 4, of: 5).cancels)
        let old = Array("credit=1\nheartbeat-ms=1000\nname=w".utf8)
        #expect(try !WorkerOffer(decoding: old, frame: 4, of: 5).cancels)
    }

    @Test("a cancelled result travels in RESULT with outcome 4")
    func cancelledResult() throws {
        let result = TaskResult(
            id: "a1", category: "a", outcome: .cancelled, attempts: 1, worker: "w", started: 5, finished: 9,
            output: Array("cancelled while running".utf8))
        #expect(
            try BrokerReply(decoding: BrokerReply.results([result]).encoded(framing: .delimited)) == .results([result]))
    }
}
