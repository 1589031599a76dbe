import Testing

@testable import Corsair

private let W1 = MDP.workerHeader01
private let C1 = MDP.clientHeader01
private func text(_ string: String) -> [UInt8] { Array(string.utf8) }

@Suite struct MDP01CodecTests {
    @Test(
        "decodes every MDP/0.1 worker command in both framings, REPLY as a final",
        arguments: [Framing.rfc18, .delimited])
    func workerCommands(framing: Framing) throws {
        func decode(_ frames: [[UInt8]]) throws -> BrokerInbound {
            try MDPCodec.decodeAtBroker(framing.prefix + frames)
        }
        #expect(
            try decode([W1, [0x01], text("a")]) == .worker(.ready(category: "a", offer: nil), framing, version: .v01))
        #expect(
            try decode([W1, [0x03], [9], [], text("x"), text("y")])
                == .worker(.final(envelope: [9], body: [text("x"), text("y")]), framing, version: .v01))
        #expect(try decode([W1, [0x04]]) == .worker(.heartbeat, framing, version: .v01))
        #expect(try decode([W1, [0x05]]) == .worker(.disconnect, framing, version: .v01))
    }

    @Test("decodes an MDPC01 REQUEST from a REQ socket and from a DEALER without the delimiter")
    func clientRequest() throws {
        #expect(
            try MDPCodec.decodeAtBroker([[], C1, text("echo"), text("a"), text("b")])
                == .client(
                    ClientRequest(framing: .delimited, dialect: .mdp01, category: "echo", body: [text("a"), text("b")]))
        )
        #expect(
            try MDPCodec.decodeAtBroker([C1, text("echo"), text("a")])
                == .client(ClientRequest(framing: .rfc18, dialect: .mdp01, category: "echo", body: [text("a")])))
    }

    @Test("encodes REQUEST, HEARTBEAT and DISCONNECT to an MDP/0.1 worker with RFC 7 numbers")
    func encodeToWorker() {
        #expect(
            wire(
                try MDPCodec.encode(.request(.delimited, envelope: [7], header: nil, body: [text("p")], version: .v01)))
                == [
                    [], W1, [0x02], [7], [], text("p"),
                ])
        #expect(
            wire(try MDPCodec.encode(.heartbeat(.delimited, acknowledgement: .seconds(1), version: .v01))) == [
                [], W1, [0x04],
            ])
        #expect(wire(try MDPCodec.encode(.disconnect(.delimited, version: .v01))) == [[], W1, [0x05]])
    }

    @Test("encodes the reply to an MDP/0.1 client as MDPC01, the service name and the body")
    func encodeReply() {
        #expect(
            wire(
                try MDPCodec.encode(
                    .reply(.delimited, .mdp01, final: true, category: "echo", body: [text("x"), text("y")])))
                == [[], C1, text("echo"), text("x"), text("y")])
        #expect(
            wire(try MDPCodec.encode(.reply(.rfc18, .mdp01, final: true, category: "echo", body: [text("x")]))) == [
                C1, text("echo"), text("x"),
            ])
    }

    @Test(
        "refuses malformed MDP/0.1 messages, naming the frame",
        arguments: [
            ([[], W1, [0x09]], "frame 2 of 3: expected MDPW01 command 0x01…0x05, got 0x09"),
            ([[], W1, [0x06]], "frame 2 of 3: expected MDPW01 command 0x01…0x05, got 0x06"),
            (
                [[], W1, [0x02], [1], [], text("x")],
                "frame 2 of 6: MDPW01 REQUEST 0x02 is sent by brokers, not workers"
            ),
            ([[], W1, [0x03], [1]], "message of 4 frames: MDPW01 REPLY needs a client address and an empty frame"),
            (
                [[], W1, [0x03], [1], [2], text("x")],
                "frame 4 of 6: expected an empty delimiter after the client address, got 1 bytes"
            ),
            ([[], W1, [0x01]], "message of 3 frames: missing service name (frame 3)"),
            ([[], W1, [0x01, 0x01], text("a")], "frame 2 of 4: command must be one byte, got 2 bytes"),
            ([[], C1, []], "frame 2 of 3: MDPC01 service name must be 1…255 bytes of UTF-8, got 0x"),
            ([[], C1], "message of 2 frames: too short for a protocol header and a command"),
        ] as [([[UInt8]], String)])
    func malformed(frames: [[UInt8]], message: String) {
        #expect(throws: ProtocolError.self) { try MDPCodec.decodeAtBroker(frames) }
        do {
            _ = try MDPCodec.decodeAtBroker(frames)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("names MDP/0.1 among the protocols it expected")
    func unknownHeader() {
        do {
            _ = try MDPCodec.decodeAtBroker([text("MDPW03"), [0x01]])
            Issue.record("decoded an unknown header")
        } catch {
            #expect(error.message.contains("MDPW01 or MDPC01"))
        }
    }
}
