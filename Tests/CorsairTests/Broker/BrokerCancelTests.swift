import Foundation
import Testing

@testable import Corsair

/// Cancel: a cancelled task never runs again, its worker is told to stop it, and a result that comes later is
/// refused.
@Suite struct BrokerCancelTests {
    @Test("a queued task cancelled over CRSC01 never runs, and its client gets a cancelled result")
    func queuedNeverRuns() throws {
        var broker = BrokerHarness()
        broker.submit([task("a1"), task("a2")])
        let cancelled = broker.cancel(CancelRequest(ids: ["a1"]))
        #expect(try cancelled.report() == [CancelAnswer(id: "a1", batch: "07", outcome: .cancelled, state: "queued")])
        #expect(cancelled.results.map(\.id) == ["a1"])
        #expect(cancelled.results.first?.outcome == .cancelled)
        #expect(cancelled.results.first.map { String(decoding: $0.output, as: UTF8.self) } == "cancelled while queued")
        let joined = broker.cancellingWorker(w1, credit: 5)
        #expect(joined.requests.map(\.payload) == ["a2"])
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "cancelled")
    }

    @Test("a running task's worker gets CANCEL; its later FINAL is refused as late but frees the credit")
    func runningIsStopped() throws {
        var broker = BrokerHarness()
        broker.cancellingWorker(w1, credit: 1)
        let request = try #require(broker.submit([task("a1"), task("a2")]).requests.first)
        let cancelled = broker.cancel(CancelRequest(batch: "07", ids: ["a1"]))
        #expect(cancelled.sent(to: w1) == [.cancel(.delimited, envelope: request.envelope)])
        #expect(try cancelled.report().first?.state == "running")
        #expect(cancelled.results.first?.outcome == .cancelled)
        // The worker still holds the attempt's unit of credit: a2 waits for its answer.
        #expect(cancelled.requests.isEmpty)
        let late = broker.final(request, outcome: .rejected, body: "cancelled by the broker")
        #expect(late.events.contains(.lateReply(peer: w1, envelope: request.envelope.hexString)))
        #expect(late.results.isEmpty)
        #expect(late.requests.map(\.payload) == ["a2"])
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "cancelled")
    }

    @Test("a worker that did not offer cancel=1 gets no CANCEL; its result is refused all the same")
    func plainWorkerNotTold() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let request = try #require(broker.submit([task("a1")]).requests.first)
        let cancelled = broker.cancel(CancelRequest(ids: ["a1"]))
        #expect(cancelled.sent(to: w1).isEmpty)
        let late = broker.final(request, outcome: .succeeded, body: "done anyway")
        #expect(late.results.isEmpty)
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "cancelled")
    }

    @Test("a finished task stays as it was; an unknown id is not found")
    func finishedAndUnknown() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let request = try #require(broker.submit([task("a1")]).requests.first)
        broker.final(request, outcome: .succeeded)
        let answers = try broker.cancel(CancelRequest(ids: ["a1", "zz"])).report()
        #expect(
            answers == [
                CancelAnswer(id: "a1", batch: "07", outcome: .finished, state: "succeeded"),
                CancelAnswer(id: "zz", outcome: .notFound),
            ])
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "succeeded")
    }

    @Test("without a batch, an id two batches hold is ambiguous and nothing is cancelled")
    func ambiguous() throws {
        var broker = BrokerHarness()
        broker.submit([task("a1")], session: Array("one".utf8))
        broker.submit([task("a1")], session: Array("two".utf8))
        let answers = try broker.cancel(CancelRequest(ids: ["a1"])).report()
        #expect(answers == [CancelAnswer(id: "a1", outcome: .ambiguous, batches: ["one", "two"])])
        let named = try broker.cancel(CancelRequest(batch: "two", ids: ["a1"])).report()
        #expect(named.map(\.outcome) == [.cancelled])
        #expect(broker.machine.state(ofTask: "a1", session: Array("one".utf8)) == "queued")
        #expect(broker.machine.state(ofTask: "a1", session: Array("two".utf8)) == "cancelled")
    }

    @Test("--all cancels every unfinished task of the batch, and only of that batch")
    func wholeBatch() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let request = try #require(broker.submit([task("a1"), task("a2"), task("a3")]).requests.first)
        broker.final(request, outcome: .succeeded)
        broker.submit([task("a9")], session: [8])
        let answers = try broker.cancel(CancelRequest(batch: "07", all: true)).report()
        #expect(answers.map(\.id) == ["a2", "a3"])
        #expect(answers.map(\.state) == ["running", "queued"])
        // The worker holds a2's unit of credit until it answers the cancelled attempt.
        #expect(broker.machine.state(ofTask: "a9", session: [8]) == "queued")
        let status = broker.machine.status(at: broker.t0)
        #expect(status.cancelled == 2)
        #expect(status.tasks["cancelled"] == 2)
        #expect(broker.machine.tasks(matching: TaskQuery(state: "cancelled")).map(\.id) == ["a3", "a2"])
    }

    @Test("a plain MDP request is cancelled by its mdp-N id and its client gets an error reply")
    func plainRequest() throws {
        var broker = BrokerHarness()
        let mdpClient = PeerID([0xc2])
        broker.receive(
            [[], MDP.clientHeader, [MDP.ClientCommand.request.rawValue], Array("a".utf8), Array("x".utf8)],
            from: mdpClient)
        let cancelled = broker.cancel(CancelRequest(ids: ["mdp-1"]))
        #expect(try cancelled.report().map(\.outcome) == [.cancelled])
        #expect(
            cancelled.sent(to: mdpClient) == [
                .reply(
                    .delimited, .rfc18, final: true, category: "a",
                    body: [Array("corsair.error".utf8), Array("cancelled while queued".utf8)])
            ])
    }

    @Test("a cancelled id submitted again in its session is a duplicate, answered with its cancelled result")
    func resubmitted() throws {
        var broker = BrokerHarness()
        broker.submit([task("a1")])
        broker.cancel(CancelRequest(ids: ["a1"]))
        let again = broker.submit([task("a1")])
        #expect(again.results.map(\.outcome) == [.cancelled])
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "cancelled")
    }

    @Test("an attached batch's cancelled tasks stream as cancelled and complete it; a later ATTACH replays them")
    func attachedBatchCancelled() throws {
        var broker = BrokerHarness()
        let watcher = PeerID([0xa8])
        broker.receive(try ClientMessage.attach(session: [7], after: 0, options: .create).encoded, from: watcher)
        broker.submit([task("a1"), task("a2")])
        let live = broker.cancel(CancelRequest(batch: "07", all: true)).streams(to: watcher)
        #expect(live.flatMap(\.results).map(\.result.outcome) == [.cancelled, .cancelled])
        #expect(live.last?.progress == StreamProgress(cursor: 2, unfinished: 0, complete: true, more: false))
        let later = PeerID([0xa9])
        let replay = broker.receive(try ClientMessage.attach(session: [7], after: 0, options: []).encoded, from: later)
            .streams(to: later)
        #expect(replay.flatMap(\.results).map(\.key) == [1, 2])
        #expect(replay.flatMap(\.results).allSatisfy { $0.result.outcome == .cancelled })
        #expect(replay.last?.progress == StreamProgress(cursor: 2, unfinished: 0, complete: true, more: false))
    }

    @Test("the gateway's cancel answers directly and takes the same actions")
    func inProcess() throws {
        var broker = BrokerHarness()
        broker.cancellingWorker(w1, credit: 1)
        let request = try #require(broker.submit([task("a1")], session: Array("http".utf8)).requests.first)
        let (answers, actions) = broker.machine.cancel(CancelRequest(batch: "http", ids: ["a1"]), at: broker.t0)
        #expect(answers.map(\.outcome) == [.cancelled])
        #expect(actions.sent(to: w1) == [.cancel(.delimited, envelope: request.envelope)])
    }
}

extension BrokerHarness {
    /// Sends a CRSC01 CANCEL from the client.
    @discardableResult
    mutating func cancel(_ request: CancelRequest, after offset: Duration = .zero) -> [BrokerAction] {
        receive(wire(try ClientMessage.cancel(request).encoded), from: client, after: offset)
    }

    /// Registers a Corsair worker for category `a` that offers `cancel=1`.
    @discardableResult
    mutating func cancellingWorker(_ peer: PeerID, credit: Int, after offset: Duration = .zero) -> [BrokerAction] {
        let offer = WorkerOffer(credit: credit, heartbeatInterval: .seconds(1), name: "w-\(peer)", cancels: true)
        return receive(
            wire(try MDPCodec.encodeFromWorker(.ready(category: "a", offer: offer))), from: peer, after: offset)
    }
}

extension [BrokerAction] {
    /// The answers of the REPORT sent to the client in reply to a CANCEL.
    func report() throws -> [CancelAnswer] {
        let json = try #require(
            compactMap { action -> [UInt8]? in
                guard case .send(.batch(_, .report(let json)), client) = action else { return nil }
                return json
            }.first)
        return try JSONDecoder().decode([CancelAnswer].self, from: Data(json))
    }
}
