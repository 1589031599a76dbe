import Testing

@testable import Corsair

private let W = MDP.workerHeader
private let C = MDP.clientHeader
private let B = ClientProtocol.header
private func text(_ string: String) -> [UInt8] { Array(string.utf8) }

@Suite struct BrokerCodecTests {
    @Test("decodes every worker command in both framings", arguments: [Framing.rfc18, .delimited])
    func workerCommands(framing: Framing) throws {
        let prefix = framing.prefix
        func decode(_ frames: [[UInt8]]) throws -> BrokerInbound { try MDPCodec.decodeAtBroker(prefix + frames) }
        #expect(try decode([W, [0x01], text("a")]) == .worker(.ready(category: "a", offer: nil), framing))
        #expect(
            try decode([W, [0x03], [9], [], text("p")]) == .worker(.partial(envelope: [9], body: [text("p")]), framing))
        #expect(
            try decode([W, [0x04], [9], [], text("x"), text("y")])
                == .worker(.final(envelope: [9], body: [text("x"), text("y")]), framing))
        #expect(try decode([W, [0x05]]) == .worker(.heartbeat, framing))
        #expect(try decode([W, [0x06]]) == .worker(.disconnect, framing))
    }

    @Test("decodes a READY that offers corsair/1")
    func readyWithOffer() throws {
        let offer = WorkerOffer(credit: 8, heartbeatInterval: .milliseconds(500), name: "host-1")
        let frames = try MDPCodec.encodeFromWorker(.ready(category: "a", offer: offer))
        #expect(
            frames == [
                [], W, [0x01], text("a"), WorkerExtension.marker, text("credit=8\nheartbeat-ms=500\nname=host-1"),
            ])
        #expect(try MDPCodec.decodeAtBroker(frames) == .worker(.ready(category: "a", offer: offer), .delimited))
    }

    @Test("tells RFC 18 client numbering from majortomo's")
    func clientDialects() throws {
        #expect(
            try MDPCodec.decodeAtBroker([C, [0x01], text("a"), text("x")])
                == .client(ClientRequest(framing: .rfc18, dialect: .rfc18, category: "a", body: [text("x")])))
        #expect(
            try MDPCodec.decodeAtBroker([[], C, [0x02], text("a"), text("x")])
                == .client(ClientRequest(framing: .delimited, dialect: .majortomo, category: "a", body: [text("x")])))
    }

    @Test("round-trips a batch submission")
    func submitRoundTrip() throws {
        let tasks = [
            TaskSpec(
                id: "t1", category: "calc", payload: text("1 + 1"), priority: -3, timeout: .seconds(2), maxAttempts: 5),
            TaskSpec(id: "t2", category: "a", payload: []),
        ]
        let decoded = try MDPCodec.decodeAtBroker(ClientMessage.submit(session: [1, 2, 3], tasks: tasks).encoded)
        #expect(decoded == .batchClient(.submit(session: [1, 2, 3], tasks: tasks), .delimited))
    }

    @Test("round-trips a ping and refuses one with extra frames")
    func pingRoundTrip() throws {
        let ping = ClientMessage.ping(session: [9, 9])
        #expect(try ping.encoded == [[], B, [0x02], [9, 9]])
        #expect(try MDPCodec.decodeAtBroker(ping.encoded) == .batchClient(ping, .delimited))
        let error = try #require(throws: ProtocolError.self) { try MDPCodec.decodeAtBroker([B, [0x02], [9], [2]]) }
        #expect(error.frame == 3)
    }

    @Test("encodes what the broker sends, frame by frame")
    func encodesOutbound() throws {
        #expect(
            try MDPCodec.encode(.request(.rfc18, envelope: [7], header: nil, body: [text("p")])) == [
                W, [0x02], [7], [], text("p"),
            ])
        let header = TaskHeader(id: "t", attempt: 2, timeout: .seconds(1))
        #expect(
            try MDPCodec.encode(.request(.delimited, envelope: [7], header: header, body: [text("p")]))
                == [[], W, [0x02], [7], [], header.encoded, text("p")])
        #expect(try MDPCodec.encode(.heartbeat(.rfc18, acknowledgement: nil)) == [W, [0x05]])
        #expect(
            try MDPCodec.encode(.heartbeat(.delimited, acknowledgement: .seconds(2)))
                == [[], W, [0x05], WorkerExtension.marker, text("heartbeat-ms=2000")])
        #expect(try MDPCodec.encode(.disconnect(.delimited)) == [[], W, [0x06]])
        #expect(
            try MDPCodec.encode(.reply(.rfc18, .rfc18, final: false, category: "a", body: [text("x")])) == [
                C, [0x02], text("a"), text("x"),
            ])
        #expect(
            try MDPCodec.encode(.reply(.rfc18, .rfc18, final: true, category: "a", body: [text("x")])) == [
                C, [0x03], text("a"), text("x"),
            ])
        #expect(
            try MDPCodec.encode(.reply(.delimited, .majortomo, final: false, category: "a", body: [text("x")])) == [
                [], C, [0x03], text("x"),
            ])
        #expect(
            try MDPCodec.encode(.reply(.delimited, .majortomo, final: true, category: "a", body: [text("x")])) == [
                [], C, [0x04], text("x"),
            ])
        #expect(try MDPCodec.encode(.batch(.rfc18, .error("no"))) == [B, [0x1f], text("no")])
    }

    @Test("decodes what a worker receives in either framing")
    func workerSide() throws {
        #expect(
            try MDPCodec.decodeAtWorker([W, [0x02], [1], [], text("a")]) == .request(envelope: [1], body: [text("a")]))
        #expect(
            try MDPCodec.decodeAtWorker([[], W, [0x02], [1], [], text("a")])
                == .request(envelope: [1], body: [text("a")]))
        #expect(
            try MDPCodec.decodeAtWorker([[], W, [0x05]]) == .heartbeat(extensionAccepted: false, brokerInterval: nil))
        #expect(
            try MDPCodec.decodeAtWorker([W, [0x05], WorkerExtension.marker])
                == .heartbeat(extensionAccepted: true, brokerInterval: nil))
        #expect(
            try MDPCodec.decodeAtWorker([W, [0x05], WorkerExtension.marker, text("heartbeat-ms=250")])
                == .heartbeat(extensionAccepted: true, brokerInterval: .milliseconds(250)))
        #expect(try MDPCodec.decodeAtWorker([W, [0x06]]) == .disconnect)
        #expect(throws: ProtocolError.self) { try MDPCodec.decodeAtWorker([W, [0x04], [1], [], [2]]) }
        #expect(throws: ProtocolError.self) { try MDPCodec.decodeAtWorker([W, [0x02], [1], [9]]) }
    }

    /// A message the broker must refuse, with where and what it should say.
    struct Malformed: CustomTestStringConvertible, Sendable {
        let name: String
        let frames: [[UInt8]]
        let frame: Int?
        let message: String
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "empty message", frames: [], frame: nil, message: "empty message"),
        Malformed(name: "only a delimiter", frames: [[]], frame: nil, message: "too short"),
        Malformed(name: "unknown protocol", frames: [text("MDPW03"), [0x01]], frame: 0, message: "got 'MDPW03'"),
        Malformed(name: "binary protocol", frames: [[0xff, 0x00], [0x01]], frame: 0, message: "got 0xff00"),
        Malformed(
            name: "two-byte command", frames: [W, [0x01, 0x02], text("a")], frame: 1, message: "one byte, got 2"),
        Malformed(name: "unknown worker command", frames: [[], W, [0x09]], frame: 2, message: "got 0x09"),
        Malformed(
            name: "REQUEST from a worker", frames: [W, [0x02], [1], [], [1]], frame: 1, message: "sent by brokers"),
        Malformed(name: "READY without service", frames: [W, [0x01]], frame: nil, message: "missing service name"),
        Malformed(name: "READY with empty service", frames: [W, [0x01], []], frame: 2, message: "1…255 bytes"),
        Malformed(name: "service not UTF-8", frames: [W, [0x01], [0xff, 0xfe]], frame: 2, message: "UTF-8"),
        Malformed(
            name: "FINAL without delimiter", frames: [W, [0x04], [1]], frame: nil,
            message: "envelope and an empty frame"),
        Malformed(
            name: "FINAL with non-empty frame 3", frames: [W, [0x04], [1], [2], [3]], frame: 3,
            message: "empty delimiter"),
        Malformed(name: "client FINAL command", frames: [C, [0x03], text("a")], frame: 1, message: "got 0x03"),
        Malformed(
            name: "client request without service", frames: [C, [0x01]], frame: nil, message: "missing service name"),
        Malformed(
            name: "offer without its frame", frames: [W, [0x01], text("a"), WorkerExtension.marker], frame: nil,
            message: "without the offer"),
        Malformed(
            name: "offer credit 0",
            frames: [W, [0x01], text("a"), WorkerExtension.marker, text("credit=0\nheartbeat-ms=1\nname=x")], frame: 4,
            message: "credit '0'"),
        Malformed(
            name: "offer credit 10001",
            frames: [W, [0x01], text("a"), WorkerExtension.marker, text("credit=10001\nheartbeat-ms=1\nname=x")],
            frame: 4, message: "credit '10001'"),
        Malformed(
            name: "offer heartbeat not a number",
            frames: [W, [0x01], text("a"), WorkerExtension.marker, text("credit=1\nheartbeat-ms=abc\nname=x")],
            frame: 4, message: "heartbeat-ms 'abc'"),
        Malformed(
            name: "offer without name",
            frames: [W, [0x01], text("a"), WorkerExtension.marker, text("credit=1\nheartbeat-ms=5")], frame: 4,
            message: "lacks one of"),
        Malformed(
            name: "offer line without =", frames: [W, [0x01], text("a"), WorkerExtension.marker, text("credit")],
            frame: 4, message: "not key=value"),
        Malformed(name: "SUBMIT without session", frames: [[], B, [0x01]], frame: nil, message: "lacks the session"),
        Malformed(
            name: "session of 65 bytes", frames: [B, [0x01], [UInt8](repeating: 1, count: 65), []], frame: 2,
            message: "1…64 bytes, got 65"),
        Malformed(
            name: "SUBMIT without tasks frame", frames: [B, [0x01], [1]], frame: nil,
            message: "one frame of tasks, got 1 frames"),
        Malformed(name: "SUBMIT in old pairs", frames: [B, [0x01], [1], [0], []], frame: nil, message: "got 3 frames"),
        Malformed(name: "zero tasks", frames: [B, [0x01], [1], [0, 0, 0, 0]], frame: 3, message: "carries 0 tasks"),
        Malformed(
            name: "truncated task", frames: [B, [0x01], [1], [0, 0, 0, 1, 0, 0, 0]], frame: 3,
            message: "truncated at byte 4 reading task 0 priority"),
        Malformed(
            name: "trailing bytes",
            frames: [
                B, [0x01], [1], [0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 1, 0x74, 0, 0, 0, 0, 0xee],
            ], frame: 3, message: "unknown SUBMIT section 0xee after 1 tasks"),
        Malformed(
            name: "empty task id",
            frames: [B, [0x01], [1], [0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 0, 0, 0, 0]],
            frame: 3, message: "task 0 id is empty"),
        Malformed(
            name: "payload longer than the frame",
            frames: [
                B, [0x01], [1], [0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 1, 0x74, 0, 0, 0, 9, 1],
            ], frame: 3, message: "reading task 0 payload (9 bytes, 1 left)"),
        Malformed(name: "unknown batch command", frames: [B, [0x13]], frame: 1, message: "got 0x13"),
        Malformed(name: "PING without session", frames: [B, [0x02]], frame: nil, message: "PING lacks the session"),
    ]

    @Test("refuses malformed messages, naming the frame and what was wrong", arguments: malformed)
    func refusesMalformed(_ example: Malformed) throws {
        let error = try #require(throws: ProtocolError.self) { try MDPCodec.decodeAtBroker(example.frames) }
        #expect(error.frame == example.frame)
        #expect(error.message.contains(example.message), "\(error.message)")
        #expect(error.frameCount == example.frames.count)
        if let frame = example.frame {
            #expect(error.description.hasPrefix("frame \(frame) of \(example.frames.count): "))
        }
    }
}
