import Testing

@testable import Corsair

@Suite struct BrokerStateMachineClientTests {
    @Test("answers an RFC 18 client in RFC 18 framing with the service name")
    func rfc18Client() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "echo")
        let request = try #require(
            broker.receive([MDP.clientHeader, [0x01], Array("echo".utf8), Array("hi".utf8)], from: client).requests
                .first)
        let reply = broker.final(request, body: "hi").sent(to: client)
        #expect(reply == [.reply(.rfc18, .rfc18, final: true, category: "echo", body: [Array("hi".utf8)])])
        let encoded = try MDPCodec.encode(try #require(reply.first))
        #expect(encoded == [MDP.clientHeader, [0x03], Array("echo".utf8), Array("hi".utf8)])
    }

    @Test("answers a majortomo client in its framing and numbering")
    func majortomoClient() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "echo")
        let request = try #require(
            broker.receive([[], MDP.clientHeader, [0x02], Array("echo".utf8), Array("hi".utf8)], from: client)
                .requests.first)
        let reply = broker.final(request, body: "hi").sent(to: client)
        #expect(try MDPCodec.encode(try #require(reply.first)) == [[], MDP.clientHeader, [0x04], Array("hi".utf8)])
    }

    @Test("serves many requests in flight from one client socket")
    func manyInFlight() {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 10)
        var requests = [SentRequest]()
        for index in 0..<10 {
            requests +=
                broker.receive(
                    [MDP.clientHeader, [0x01], Array("echo".utf8), Array("\(index)".utf8)], from: client
                ).requests
        }
        #expect(requests.count == 10)
        var replies = [BrokerOutbound]()
        for request in requests.reversed() {
            replies += broker.final(request, outcome: .succeeded, body: request.payload).sent(to: client)
        }
        #expect(replies.count == 10)
    }

    @Test("mmi.service answers 200 for a served category, 404 otherwise, 501 for other mmi services")
    func mmi() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        func ask(_ service: String, _ body: String) -> [BrokerOutbound] {
            broker.receive([MDP.clientHeader, [0x01], Array(service.utf8), Array(body.utf8)], from: client)
                .sent(to: client)
        }
        #expect(
            ask("mmi.service", "a") == [
                .reply(.rfc18, .rfc18, final: true, category: "mmi.service", body: [Array("200".utf8)])
            ])
        #expect(
            ask("mmi.service", "b") == [
                .reply(.rfc18, .rfc18, final: true, category: "mmi.service", body: [Array("404".utf8)])
            ])
        #expect(
            ask("mmi.nothing", "a") == [
                .reply(.rfc18, .rfc18, final: true, category: "mmi.nothing", body: [Array("501".utf8)])
            ])
    }

    @Test("relays PARTIAL replies to a plain MDP client")
    func relaysPartial() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let request = try #require(
            broker.receive([MDP.clientHeader, [0x01], Array("a".utf8), [1]], from: client).requests.first)
        let partial = broker.receive(
            try MDPCodec.encodeFromWorker(.partial(envelope: request.envelope, body: [Array("half".utf8)])), from: w1)
        #expect(
            partial.sent(to: client) == [
                .reply(.rfc18, .rfc18, final: false, category: "a", body: [Array("half".utf8)])
            ])
    }

    @Test("does not queue a task id again when its session resubmits it, and resends a finished result")
    func deduplicates() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let request = try #require(broker.submit([task("a1")]).requests.first)
        let again = broker.submit([task("a1")])
        #expect(again.requests.isEmpty)
        #expect(again.sent(to: client) == [.batch(.delimited, .accepted(["a1"]))])
        broker.final(request)
        // After a reconnect the session has a new peer; the finished result goes there.
        let newPeer = PeerID([0xc2])
        let resent = broker.submit([task("a1")], from: newPeer)
        #expect(resent.requests.isEmpty)
        #expect(resent.results.map(\.id) == ["a1"])
        #expect(resent.sent(to: newPeer).count == 2)
        #expect(broker.machine.attempts(ofTask: "a1", session: [7]) == 1)
    }

    @Test("answers PING with whether it knows the session, and routes results to the pinging peer")
    func ping() throws {
        var broker = BrokerHarness()
        let unknown = broker.receive(try ClientMessage.ping(session: [7]).encoded, from: client)
        #expect(unknown.sent(to: client) == [.batch(.delimited, .pong(sessionKnown: false))])
        broker.plainWorker(w1, category: "a")
        let request = try #require(broker.submit([task("a1")]).requests.first)
        let newPeer = PeerID([0xc9])
        let known = broker.receive(try ClientMessage.ping(session: [7]).encoded, from: newPeer)
        #expect(known.sent(to: newPeer) == [.batch(.delimited, .pong(sessionKnown: true))])
        #expect(broker.final(request).sent(to: newPeer).count == 1)
    }

    @Test("keeps equal task ids of different sessions apart")
    func sessionsAreSeparate() {
        var broker = BrokerHarness()
        broker.submit([task("a1")], session: [1])
        broker.submit([task("a1")], session: [2])
        #expect(broker.machine.queueDepth(category: "a") == 2)
    }

    @Test("rejects tasks with reserved categories or out-of-range attempts, accepting the rest")
    func rejectsInvalid() {
        var broker = BrokerHarness()
        let actions = broker.submit([task("x1", "mmi.x"), task("a1"), task("a2", maxAttempts: 101)])
        let sent = actions.sent(to: client)
        #expect(sent.first == .batch(.delimited, .accepted(["a1"])))
        guard case .batch(_, .rejected(let rejections)) = sent.last else {
            Issue.record("expected a REJECTED reply, got \(sent)")
            return
        }
        #expect(rejections.map(\.id) == ["x1", "a2"])
        #expect(rejections.first?.reason.contains("reserved") == true)
        #expect(rejections.last?.reason.contains("101") == true)
    }
}
