import Testing

@testable import Corsair

@Suite struct ShutdownCodingTests {
    @Test("SHUTDOWN to a worker round-trips in both modes, in either framing")
    func workerShutdown() throws {
        for handBack in [false, true] {
            for framing in [Framing.delimited, .rfc18] {
                let frames = try MDPCodec.encode(.shutdown(framing, handBack: handBack))
                #expect(frames.suffix(3) == [MDP.workerHeader, [0x18], [handBack ? 1 : 0]])
                #expect(try MDPCodec.decodeAtWorker(frames) == .shutdown(handBack: handBack))
            }
        }
    }

    @Test(
        "a SHUTDOWN without its mode, or with an unknown one, is refused",
        arguments: [[], [[2]], [[0], [0]], [[0, 0]]])
    func malformedWorkerShutdown(extra: [[UInt8]]) throws {
        let error = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtWorker([[], MDP.workerHeader, [0x18]] + extra)
        }
        #expect(error.message.contains("SHUTDOWN needs one mode frame"))
    }

    @Test("the CRSC01 SHUTDOWN request round-trips through the broker's decoder, and bad JSON names its frame")
    func clientShutdown() throws {
        let request = ShutdownRequest(category: "a", now: true, workersOnly: false)
        let decoded = try MDPCodec.decodeAtBroker(ClientMessage.shutdown(request).encoded)
        #expect(decoded == .batchClient(.shutdown(request), .delimited))
        #expect(!request.stopsBroker)
        #expect(ShutdownRequest().stopsBroker)
        #expect(!ShutdownRequest(workersOnly: true).stopsBroker)
        let error = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtBroker([[], ClientProtocol.header, [0x09], Array("{".utf8)])
        }
        #expect(error.frame == 3)
        #expect(error.message.hasPrefix("SHUTDOWN is not a valid shutdown request"))
    }

    @Test("every CRSC01 command has its own byte: CANCEL 0x08 and SHUTDOWN 0x09 beside ATTACH 0x04 and MORE 0x05")
    func commandBytes() throws {
        let commands: [(ClientProtocol.Command, UInt8)] = [
            (.submit, 0x01), (.ping, 0x02), (.query, 0x03), (.attach, 0x04), (.more, 0x05), (.cancel, 0x08),
            (.shutdown, 0x09), (.accepted, 0x11), (.rejected, 0x12), (.result, 0x13), (.pong, 0x14),
            (.report, 0x15), (.attached, 0x16), (.stream, 0x17), (.error, 0x1f),
        ]
        for (command, byte) in commands {
            #expect(command.rawValue == byte, "\(command)")
        }
        #expect(Set(commands.map(\.0.rawValue)).count == commands.count)
        let shutdown = try ClientMessage.shutdown(ShutdownRequest()).encoded
        #expect(shutdown.dropFirst(2).first == [0x09])
        let cancel = try ClientMessage.cancel(CancelRequest(batch: "b", all: true)).encoded
        #expect(cancel.dropFirst(2).first == [0x08])
    }
}
