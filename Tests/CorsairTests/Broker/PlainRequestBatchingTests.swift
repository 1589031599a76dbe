import Testing

@testable import Corsair

/// Plain MDP requests read in one pass of the broker loop are dispatched together when the pass ends, so a batching
/// worker gets them in one TASKS message, as it gets a CRSC01 SUBMIT's tasks.
@Suite struct PlainRequestBatchingTests {
    func request(
        _ payload: String, category: String = "echo", from peer: PeerID = client
    ) -> (
        frames: [[UInt8]], peer: PeerID
    ) {
        ([MDP.clientHeader, [0x01], Array(category.utf8), Array(payload.utf8)], peer)
    }

    @Test("requests read in one pass reach a batching worker as one TASKS message, in arrival order")
    func oneTasksMessage() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 100, batching: true)
        let actions = broker.receive((0..<50).map { request("p\($0)") })
        let batches = actions.batches
        #expect(batches.count == 1)
        #expect(batches.first?.worker == w1)
        #expect(batches.first?.tasks.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<50).map { "p\($0)" })
        #expect(broker.machine.status(at: broker.t0).submitted == 50)
    }

    @Test("a request waits, queued, until the pass that read it ends, and the loop must not sleep meanwhile")
    func dispatchedWhenThePassEnds() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 10, batching: true)
        let read = broker.machine.messageReceived(request("p").frames, from: client, at: broker.t0)
        #expect(read.batches.isEmpty)
        #expect(broker.machine.tasks(matching: TaskQuery(state: "queued", limit: 10)).count == 1)
        #expect(broker.machine.nextDeadline <= broker.t0)
        let ended = broker.machine.readPassEnded(at: broker.t0)
        #expect(ended.batches.map(\.tasks.count) == [1])
        #expect(broker.machine.nextDeadline > broker.t0)
        #expect(broker.machine.readPassEnded(at: broker.t0).isEmpty)
    }

    @Test("a pass's requests are shared among workers by credit, each category by its own workers")
    func sharedByCredit() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 3, batching: true)
        broker.corsairWorker(w2, category: "echo", credit: 3, batching: true)
        broker.plainWorker(w3, category: "sort")
        let actions = broker.receive((0..<8).map { request("e\($0)") } + [request("s", category: "sort")])
        #expect(actions.batches.map(\.tasks.count).sorted() == [3, 3])
        #expect(actions.requests.map(\.worker) == [w3])
        #expect(broker.machine.tasks(matching: TaskQuery(state: "queued", limit: 10)).count == 2)
    }

    @Test("requests in either framing and any numbering share a pass's TASKS message; each reply keeps its dialect")
    func everyDialect() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 10, batching: true)
        let clients = (0..<5).map { PeerID([0xd0 + UInt8($0)]) }
        let echo = Array("echo".utf8)
        let requests: [[[UInt8]]] = [
            [MDP.clientHeader, [0x01], echo, Array("rfc18".utf8)],
            [[], MDP.clientHeader, [0x01], echo, Array("delimited rfc18".utf8)],
            [MDP.clientHeader, [0x02], echo, Array("majortomo".utf8)],
            [[], MDP.clientHeader, [0x02], echo, Array("delimited majortomo".utf8)],
            [[], Array("MDPC01".utf8), echo, Array("mdp01".utf8)],
        ]
        let actions = broker.receive(zip(requests, clients).map { ($0, $1) })
        let batch = try #require(actions.batches.first)
        #expect(actions.batches.count == 1 && batch.tasks.count == 5)
        let replied = broker.results(batch.tasks.map { answer($0, .succeeded, "done") }, from: w1)
        let dialects = clients.map { peer -> (Framing, ClientDialect)? in
            guard case .reply(let framing, let dialect, true, _, _) = replied.sent(to: peer).first else { return nil }
            return (framing, dialect)
        }
        #expect(dialects.map { $0?.0 } == [.rfc18, .delimited, .rfc18, .delimited, .delimited])
        #expect(dialects.map { $0?.1 } == [.rfc18, .rfc18, .majortomo, .majortomo, .mdp01])
    }
}
