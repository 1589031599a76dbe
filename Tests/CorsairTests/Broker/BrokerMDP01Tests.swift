import Testing

@testable import Corsair

private let W1 = MDP.workerHeader01
private let C1 = MDP.clientHeader01
private func text(_ string: String) -> [UInt8] { Array(string.utf8) }

extension BrokerHarness {
    /// Registers an MDP/0.1 worker, as the Guide's mdwrkapi does: an empty frame, `MDPW01`, READY, the service.
    @discardableResult
    mutating func mdp01Worker(_ peer: PeerID, category: String, after offset: Duration = .zero) -> [BrokerAction] {
        receive([[], W1, [0x01], text(category)], from: peer, after: offset)
    }

    /// An MDP/0.1 worker's REPLY to `request`.
    @discardableResult
    mutating func reply01(_ request: SentRequest, body: String, after offset: Duration = .zero) -> [BrokerAction] {
        receive([[], W1, [0x03], request.envelope, [], text(body)], from: request.worker, after: offset)
    }

    /// An MDP/0.1 client's REQUEST, as a REQ socket sends it.
    @discardableResult
    mutating func request01(_ category: String, _ body: String, from peer: PeerID = client) -> [BrokerAction] {
        receive([[], C1, text(category), text(body)], from: peer)
    }
}

@Suite struct BrokerMDP01Tests {
    @Test("serves an MDP/0.1 client with an MDP/0.1 worker, each in its own version")
    func clientAndWorker() {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "echo")
        let sent = broker.request01("echo", "hi").sent(to: w1)
        guard case .request(.delimited, let envelope, nil, let body, .v01)? = sent.first else {
            Issue.record("expected an MDP/0.1 REQUEST, got \(sent)")
            return
        }
        #expect(wire(try MDPCodec.encode(sent[0])) == [[], W1, [0x02], envelope, [], text("hi")])
        #expect(body == [text("hi")])
    }

    @Test("gives an MDP/0.1 worker one request at a time and answers the client in MDPC01")
    func oneAtATime() throws {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "echo")
        let first = try #require(broker.request01("echo", "a").requests.first)
        #expect(broker.request01("echo", "b", from: PeerID([0xc2])).requests.isEmpty)
        let replied = broker.reply01(first, body: "A")
        #expect(
            wire(try MDPCodec.encode(try #require(replied.sent(to: client).first))) == [
                [], C1, text("echo"), text("A"),
            ])
        let second = try #require(replied.requests.first)
        #expect(second.worker == w1)
        #expect(second.payload == "b")
    }

    @Test("serves an RFC 18 client and a corsair batch task with an MDP/0.1 worker")
    func zeroTwoClients() throws {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "echo")
        let plain = try #require(
            broker.receive([MDP.clientHeader, [0x01], text("echo"), text("hi")], from: client).requests.first)
        #expect(plain.header == nil)
        #expect(
            broker.reply01(plain, body: "hi").sent(to: client) == [
                .reply(.rfc18, .rfc18, final: true, category: "echo", body: [text("hi")])
            ])
        let batch = try #require(broker.submit([task("echo1")], from: PeerID([0xc3])).requests.first)
        #expect(batch.worker == w1)
        let done = broker.reply01(batch, body: "out")
        #expect(done.results.map(\.outcome) == [.succeeded])
        #expect(done.results.map { String(decoding: $0.output, as: UTF8.self) } == ["out"])
    }

    @Test("answers an MDP/0.1 client served by a Corsair worker with the FINAL only, not its PARTIALs")
    func corsairWorkerServesZeroOneClient() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 4)
        let request = try #require(broker.request01("echo", "hi").requests.first)
        let partial = broker.receive(
            wire(try MDPCodec.encodeFromWorker(.partial(envelope: request.envelope, body: [text("part")]))), from: w1)
        #expect(partial.sent(to: client).isEmpty)
        let reply = broker.final(request, outcome: .succeeded, body: "hi").sent(to: client)
        #expect(try reply.map { try MDPCodec.encode($0) } == [[[], C1, text("echo"), text("hi")]])
    }

    @Test("answers an MDP/0.1 client's mmi.service in MDPC01")
    func mmi() throws {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "echo")
        let reply = broker.request01("mmi.service", "echo").sent(to: client)
        #expect(try reply.map { try MDPCodec.encode($0) } == [[[], C1, text("mmi.service"), text("200")]])
    }

    @Test("heartbeats an MDP/0.1 worker in MDP/0.1 and drops it when it goes silent while idle")
    func heartbeatsAndExpiry() {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "a")
        let beat = broker.tick(after: .seconds(1)).sent(to: w1)
        #expect(beat == [.heartbeat(.delimited, acknowledgement: nil, version: .v01)])
        #expect(wire(try MDPCodec.encode(beat[0])) == [[], W1, [0x04]])
        let expired = broker.tick(after: .seconds(3))
        #expect(
            expired.events.contains(.workerLeft(peer: w1, name: "\(w1)", category: "a", reason: .expired, inFlight: 0)))
    }

    @Test("probes an MDP/0.1 worker in MDP/0.1 when the ROUTER loses a connection")
    func probedInItsVersion() {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "a")
        let probe = broker.machine.connectionLost(at: broker.t0 + .milliseconds(10)).sent(to: w1)
        #expect(probe == [.heartbeat(.delimited, acknowledgement: nil, version: .v01)])
    }

    @Test("keeps a busy, silent MDP/0.1 worker until its attempt's deadline, then requeues the task and drops it")
    func busySilence() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(5) }
        broker.mdp01Worker(w1, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        #expect(first.worker == w1)
        let quiet = broker.tick(after: .milliseconds(3500))
        #expect(!quiet.events.contains { if case .workerLeft = $0 { true } else { false } })
        #expect(broker.machine.workerCount(category: "a") == 1)
        #expect(broker.machine.nextDeadline > broker.t0 + .milliseconds(3500))
        broker.mdp01Worker(w2, category: "a", after: .seconds(4))
        let timedOut = broker.tick(after: .milliseconds(5100))
        #expect(timedOut.requeueReasons == ["timeout"])
        #expect(timedOut.requests.first?.worker == w2)
        #expect(
            timedOut.events.contains(
                .workerLeft(peer: w1, name: "\(w1)", category: "a", reason: .expired, inFlight: 1)))
    }

    @Test("requeues the request of a busy MDP/0.1 worker the ROUTER can no longer reach")
    func unreachableWhileBusy() throws {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "a")
        broker.mdp01Worker(w2, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let gone = broker.machine.peerUnreachable(first.worker, at: broker.t0 + .seconds(1))
        #expect(gone.requeueReasons == ["worker_lost"])
        #expect(gone.requests.first?.worker == (first.worker == w1 ? w2 : w1))
        #expect(
            try gone.sent(to: gone.requests.first?.worker ?? w1).first.map {
                Array(try MDPCodec.encode($0).prefix(3))
            } == [
                [], W1, [0x02],
            ])
    }

    @Test("lets an MDP/0.1 worker leave with DISCONNECT, requeueing its request")
    func workerDisconnects() throws {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "a")
        broker.mdp01Worker(w2, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let left = broker.receive([[], W1, [0x05]], from: first.worker)
        #expect(left.requeueReasons == ["worker_lost"])
        #expect(left.requests.first?.worker == (first.worker == w1 ? w2 : w1))
    }

    @Test("lists an MDP/0.1 worker with protocol mdp/0.1 beside an MDP/0.2 one")
    func listedProtocol() {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "a")
        broker.plainWorker(w2, category: "a")
        let status = broker.machine.status(at: broker.t0)
        #expect(status.workers.first { $0.id == "\(w1)" }?.protocol == "mdp/0.1")
        #expect(status.workers.first { $0.id == "\(w2)" }?.protocol == "mdp/0.2")
    }

    @Test("drops an MDP/0.1 worker that sends a malformed command, telling it so in MDP/0.1")
    func malformedFromWorker() {
        var broker = BrokerHarness()
        broker.mdp01Worker(w1, category: "a")
        let bad = broker.receive([[], W1, [0x09]], from: w1)
        guard case .badMessage(w1, let error) = bad.events.first else {
            Issue.record("expected badMessage first, got \(bad.events)")
            return
        }
        #expect(error.description == "frame 2 of 3: expected MDPW01 command 0x01…0x05, got 0x09")
        #expect(bad.sent(to: w1) == [.disconnect(.delimited, version: .v01)])
        #expect(broker.machine.workerCount(category: "a") == 0)
        #expect(broker.machine.statistics.badMessages == 1)
    }

    @Test("answers an MDP/0.1 HEARTBEAT from an unregistered worker, and a second READY, with an MDP/0.1 DISCONNECT")
    func unexpectedCommands() {
        var broker = BrokerHarness()
        #expect(broker.receive([[], W1, [0x04]], from: w1).sent(to: w1) == [.disconnect(.delimited, version: .v01)])
        broker.mdp01Worker(w2, category: "a")
        #expect(broker.mdp01Worker(w2, category: "a").sent(to: w2) == [.disconnect(.delimited, version: .v01)])
        #expect(broker.machine.workerCount(category: "a") == 0)
    }

    @Test("counts a malformed MDP/0.1 client REQUEST and sends nothing back")
    func malformedFromClient() {
        var broker = BrokerHarness()
        let bad = broker.receive([[], C1, []], from: client)
        #expect(bad.sent(to: client).isEmpty)
        #expect(broker.machine.statistics.badMessages == 1)
    }
}
