import Testing

@testable import Corsair

/// The CRSC01 messages of attached clients: PING's flags request, ATTACH, MORE, a PONG with flags, ATTACHED, STREAM.
@Suite struct AttachCodingTests {
    static let result = TaskResult(
        id: "a1", category: "a", outcome: .succeeded, attempts: 2, worker: "w-1", started: 5, finished: 9,
        output: [1, 2])

    @Test(
        "round-trips every message a client sends about a session",
        arguments: [
            ClientMessage.ping(session: [7], wantsFlags: true),
            .ping(session: [7]),
            .attach(session: Array("nightly".utf8), after: 0, options: []),
            .attach(session: [1, 2, 3], after: UInt64.max - 1, options: .create),
            .more(session: [7]),
        ])
    func clientMessages(_ message: ClientMessage) throws {
        guard case .batchClient(let decoded, .delimited) = try MDPCodec.decodeAtBroker(message.encoded) else {
            Issue.record("not decoded as a batch client message: \(message)")
            return
        }
        #expect(decoded == message)
    }

    @Test(
        "round-trips PONG with flags, ATTACHED and STREAM",
        arguments: [
            BrokerReply.pong(sessionKnown: true, flags: [.sessionKnown, .durable]),
            .pong(sessionKnown: false, flags: []),
            .attached(AttachStatus(flags: .durable, tasks: 20_000, unfinished: 7)),
            .stream(StreamProgress(cursor: 0, unfinished: 0, complete: true, more: false), []),
            .stream(
                StreamProgress(cursor: 41, unfinished: 3, complete: false, more: true),
                [KeyedResult(key: 42, result: result), KeyedResult(key: 7, result: result)]),
        ])
    func brokerReplies(_ reply: BrokerReply) throws {
        for framing in [Framing.rfc18, .delimited] {
            #expect(try BrokerReply(decoding: reply.encoded(framing: framing)) == reply)
        }
    }

    /// A malformed client message, the frame the error names and words it says.
    struct Malformed: Sendable, CustomStringConvertible {
        let description: String
        let frames: [[UInt8]]
        let frame: Int?
        let message: String
    }

    static let header: [[UInt8]] = [[], ClientProtocol.header]

    @Test(
        "says what is wrong with a malformed PING, ATTACH or MORE and where",
        arguments: [
            Malformed(
                description: "PING asking with another byte", frames: header + [[0x02], [7], [0x02]], frame: 4,
                message: "flags request must be the one byte 0x01, got"),
            Malformed(
                description: "PING with two extra frames", frames: header + [[0x02], [7], [0x01], []], frame: 5,
                message: "at most a flags request"),
            Malformed(
                description: "ATTACH without cursor", frames: header + [[0x04], [7]], frame: nil,
                message: "ATTACH needs the session and one frame of cursor and options, got 1 frames"),
            Malformed(
                description: "ATTACH with a short cursor", frames: header + [[0x04], [7], [0, 0, 0]], frame: 4,
                message: "truncated at byte 0 reading cursor"),
            Malformed(
                description: "ATTACH with unknown options",
                frames: header + [[0x04], [7], [0, 0, 0, 0, 0, 0, 0, 1, 0x80]],
                frame: 4, message: "unknown ATTACH options 0x80"),
            Malformed(
                description: "ATTACH with trailing bytes",
                frames: header + [[0x04], [7], [0, 0, 0, 0, 0, 0, 0, 1, 0, 9]],
                frame: 4, message: "1 unexpected bytes after cursor and options"),
            Malformed(
                description: "ATTACH with an empty session",
                frames: header + [[0x04], [], [0, 0, 0, 0, 0, 0, 0, 1, 0]],
                frame: 3, message: "session must be 1…64 bytes, got 0"),
            Malformed(
                description: "MORE with an extra frame", frames: header + [[0x05], [7], []], frame: 4,
                message: "MORE carries only the session"),
            Malformed(
                description: "an unknown command", frames: header + [[0x06], [7]], frame: 2,
                message: "MORE 0x05, CANCEL 0x08 or SHUTDOWN 0x09, got 0x06"),
        ])
    func malformedClientMessages(_ malformed: Malformed) throws {
        let error = try #require(throws: ProtocolError.self) { try MDPCodec.decodeAtBroker(malformed.frames) }
        #expect(error.frame == malformed.frame)
        #expect(error.message.contains(malformed.message), "\(error)")
    }

    @Test("says what is wrong with a malformed STREAM, ATTACHED or PONG and where")
    func malformedReplies() throws {
        let stream: [[UInt8]] = [ClientProtocol.header, [ClientProtocol.Command.stream.rawValue]]
        let flags = try #require(throws: ProtocolError.self) {
            try BrokerReply(decoding: stream + [[0x04] + Array(repeating: 0, count: 20)])
        }
        #expect(flags.description == "frame 2 of 3: unknown STREAM flags 0x04")
        let overlong = try #require(throws: ProtocolError.self) {
            try BrokerReply(decoding: stream + [[0] + Array(repeating: 0, count: 16) + [0, 0, 0, 2]])
        }
        #expect(overlong.message.contains("STREAM count 2 does not fit its 0 bytes"))
        var truncated = try BrokerReply.stream(
            StreamProgress(cursor: 1, unfinished: 0, complete: false, more: false),
            [KeyedResult(key: 1, result: Self.result)]
        ).encoded(framing: .rfc18)
        truncated[2].removeLast()
        let cut = try #require(throws: ProtocolError.self) { try BrokerReply(decoding: truncated) }
        #expect(cut.message.contains("reading result 0 output"), "\(cut)")
        let attached = try #require(throws: ProtocolError.self) {
            try BrokerReply(decoding: [ClientProtocol.header, [ClientProtocol.Command.attached.rawValue], [1, 0]])
        }
        #expect(attached.message.contains("reading task count"))
        let pong = try #require(throws: ProtocolError.self) {
            try BrokerReply(decoding: [ClientProtocol.header, [ClientProtocol.Command.pong.rawValue], [1, 2, 3]])
        }
        #expect(pong.message.contains("PONG needs one frame of one or two bytes"))
    }
}
