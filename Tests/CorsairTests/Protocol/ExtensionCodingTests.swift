import Testing

@testable import Corsair

@Suite struct ExtensionCodingTests {
    @Test("round-trips a worker offer and skips keys it does not know")
    func offer() throws {
        let offer = WorkerOffer(credit: 3, heartbeatInterval: .seconds(2), name: "w")
        #expect(try WorkerOffer(decoding: offer.encoded, frame: 4, of: 5) == offer)
        let newer = Array("credit=3\nzone=eu\nheartbeat-ms=2000\nname=w".utf8)
        #expect(try WorkerOffer(decoding: newer, frame: 4, of: 5) == offer)
    }

    @Test("round-trips a task header and refuses damaged ones")
    func taskHeader() throws {
        let header = TaskHeader(id: "tâche-1", attempt: 3, timeout: .milliseconds(1500))
        #expect(try TaskHeader(decoding: header.encoded, frame: 5, of: 7) == header)
        let truncated = try #require(throws: ProtocolError.self) {
            try TaskHeader(decoding: Array(header.encoded.dropLast()), frame: 5, of: 7)
        }
        #expect(truncated.frame == 5)
        #expect(truncated.message.contains("truncated"))
        #expect(throws: ProtocolError.self) { try TaskHeader(decoding: header.encoded + [0], frame: 5, of: 7) }
        let wrongVersion = try [9] + header.encoded.dropFirst()
        let version = try #require(throws: ProtocolError.self) {
            try TaskHeader(decoding: wrongVersion, frame: 5, of: 7)
        }
        #expect(version.message.contains("version 9"))
    }

    @Test("round-trips an assignment token and rejects envelopes that are not ours")
    func assignmentToken() {
        let token = AssignmentToken(task: TaskKey(rawValue: 1 << 40), attempt: 7)
        #expect(token.encoded.count == 12)
        #expect(AssignmentToken(decoding: token.encoded) == token)
        #expect(AssignmentToken(decoding: Array(token.encoded.dropLast())) == nil)
        #expect(AssignmentToken(decoding: []) == nil)
    }

    @Test(
        "round-trips every broker reply to a batch client",
        arguments: [
            BrokerReply.accepted(["a1", "a2"]),
            .accepted(["tâche-1"]),
            .rejected([TaskRejection(id: "x", reason: "category 'mmi.x' is reserved")]),
            .results([
                TaskResult(
                    id: "a1", category: "a", outcome: .succeeded, attempts: 1, worker: "w-1", started: 5, finished: 9,
                    output: [1, 2])
            ]),
            .results([
                TaskResult(
                    id: "a2", category: "a", outcome: .failed, attempts: 3, worker: nil, started: nil, finished: 9,
                    output: []),
                TaskResult(
                    id: "a3", category: "b", outcome: .succeeded, attempts: 1, worker: "w-2", started: 7, finished: 8,
                    output: [3]),
            ]),
            .error("frame 2 of 3: bad"),
            .pong(sessionKnown: true),
            .pong(sessionKnown: false),
        ])
    func brokerReplies(_ reply: BrokerReply) throws {
        for framing in [Framing.rfc18, .delimited] {
            #expect(try BrokerReply(decoding: reply.encoded(framing: framing)) == reply)
        }
    }

    @Test("refuses a result with an unknown outcome")
    func unknownOutcome() throws {
        var frames = try BrokerReply.results([
            TaskResult(
                id: "a", category: "a", outcome: .succeeded, attempts: 1, worker: nil, started: nil, finished: 1,
                output: [])
        ]).encoded(framing: .rfc18)
        try #require(frames.element(at: 2)?.element(at: 4) != nil, "no outcome byte to damage in \(frames)")
        frames[2][4] = 7
        let error = try #require(throws: ProtocolError.self) { try BrokerReply(decoding: frames) }
        #expect(error.message.contains("result 0 has unknown outcome 0x07"))
        #expect(error.frame == 2)
    }

    @Test("refuses an ACCEPTED whose count does not fit its frame, or that is split over frames")
    func badAccepted() throws {
        let header: [[UInt8]] = [ClientProtocol.header, [ClientProtocol.Command.accepted.rawValue]]
        let overlong = try #require(throws: ProtocolError.self) {
            try BrokerReply(decoding: header + [[0, 0, 0, 9, 0, 1]])
        }
        #expect(overlong.message.contains("ACCEPTED count 9"))
        let split = try #require(throws: ProtocolError.self) {
            try BrokerReply(decoding: header + [[0, 0, 0, 0], []])
        }
        #expect(split.message.contains("one frame of ids"))
    }
}
