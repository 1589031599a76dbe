import Testing

@testable import Corsair

@Suite struct BrokerStateMachineBadInputTests {
    @Test("counts garbage and keeps serving other peers")
    func garbage() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let bad = broker.receive([Array("GARBAGE".utf8), [0x01]], from: PeerID([0xee]))
        #expect(bad.events.count == 1)
        #expect(bad.sent(to: PeerID([0xee])).isEmpty)
        guard case .badMessage(_, let error) = bad.events.first else {
            Issue.record("expected badMessage, got \(bad.events)")
            return
        }
        #expect(error.frame == 0)
        let request = try #require(broker.submit([task("a1")]).requests.first)
        #expect(request.worker == w1)
    }

    @Test("answers a malformed batch submission with an ERROR naming the frame")
    func malformedSubmit() throws {
        var broker = BrokerHarness()
        let actions = broker.receive([[], ClientProtocol.header, [0x01], [7], [0, 1]], from: client)
        let sent = try #require(actions.sent(to: client).first)
        guard case .batch(.delimited, .error(let message)) = sent else {
            Issue.record("expected an ERROR reply, got \(sent)")
            return
        }
        #expect(message.hasPrefix("message of 5 frames") || message.hasPrefix("frame"))
    }

    @Test("counts and answers a message over --max-message-size without decoding it, naming the frame")
    func oversized() throws {
        var broker = BrokerHarness { $0.maxMessageSize = 1024 }
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1")])
        let fromWorker = broker.receive(
            [[], MDP.workerHeader, [0x03], [UInt8](repeating: 1, count: 600), [UInt8](repeating: 2, count: 600)],
            from: w1)
        #expect(fromWorker.sent(to: w1) == [.disconnect(.delimited)])
        #expect(fromWorker.requeueReasons == ["worker_lost"])
        guard case .badMessage(w1, let error) = fromWorker.events.first else {
            Issue.record("expected badMessage first, got \(fromWorker.events)")
            return
        }
        #expect(error.frame == 4)
        #expect(error.message == "message of 1207 bytes is over the 1024-byte limit (--max-message-size)")

        let big = TaskSpec(id: "big", category: "a", payload: [UInt8](repeating: 0, count: 2000))
        let fromClient = broker.submit([big])
        let sent = try #require(fromClient.sent(to: client).first)
        guard case .batch(.delimited, .error(let message)) = sent else {
            Issue.record("expected an ERROR reply, got \(sent)")
            return
        }
        #expect(message.contains("over the 1024-byte limit"))
        #expect(broker.machine.statistics.badMessages == 2)
        #expect(broker.machine.status(at: broker.t0).tasks.values.reduce(0, +) == 1)
    }

    @Test("drops a registered worker that sends a malformed worker message, requeueing its task")
    func malformedFromWorker() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1")])
        let actions = broker.receive([[], MDP.workerHeader, [0x04], [1, 2, 3]], from: w1)
        #expect(actions.sent(to: w1) == [.disconnect(.delimited)])
        #expect(actions.requeueReasons == ["worker_lost"])
    }
}
