import Testing

@testable import Corsair

@Suite struct ShutdownCodingTests {
    @Test("SHUTDOWN to a worker round-trips in both modes, in either framing")
    func workerShutdown() throws {
        for handBack in [false, true] {
            for framing in [Framing.delimited, .rfc18] {
                let frames = MDPCodec.encode(.shutdown(framing, handBack: handBack))
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
            try MDPCodec.decodeAtBroker([[], ClientProtocol.header, [0x08], Array("{".utf8)])
        }
        #expect(error.frame == 3)
        #expect(error.message.hasPrefix("SHUTDOWN is not a valid shutdown request"))
    }
}
