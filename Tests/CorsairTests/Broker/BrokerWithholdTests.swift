import Testing

@testable import Corsair

/// Clients that stop reading (`+Withhold`): results past `unreadResultBytes` are withheld, never queued or lost, and
/// go out once the client sends again; finished tasks are kept within `retainFinishedBytes`.
@Suite struct BrokerWithholdTests {
    let watcher = PeerID([0xa7])
    /// Ten bytes of output: with a limit of 10 bytes, one result fills a client's allowance.
    let tenBytes = "0123456789"

    /// Submits tasks `a1…aN` from `peer` to a batching worker and answers them all in one RESULTS message with
    /// `tenBytes` each; returns the actions of that answer.
    func finish(
        _ count: Int,
        from peer: PeerID = client,
        broker: inout BrokerHarness
    ) throws -> [BrokerAction] {
        broker.corsairWorker(w1, category: "a", credit: 1000, batching: true)
        let assigned = broker.submit((1...count).map { task("a\($0)") }, from: peer).batches.flatMap(\.tasks)
        try #require(assigned.count == count)
        return broker.results(assigned.map { answer($0, .succeeded, tenBytes) }, from: w1)
    }

    func ping(_ broker: inout BrokerHarness, from peer: PeerID = client) throws -> [BrokerAction] {
        broker.receive(try ClientMessage.ping(session: [7]).encoded, from: peer)
    }

    @Test("withholds a session client's results past its unread bytes, and sends them when it pings, within the limit")
    func withholdsUntilPing() throws {
        var broker = BrokerHarness { $0.unreadResultBytes = 10 }
        let finished = try finish(5, broker: &broker)
        #expect(finished.results.map(\.id) == ["a1"])
        #expect(broker.machine.statistics.resultsWithheld == 4)
        let each = finished.events.filter {
            if case .resultWithheld(_, client) = $0 { return true }
            return false
        }
        #expect(each.count == 4, "one event per withheld result: corsair_results_withheld_total counts them")
        let withheld = finished.events.filter {
            if case .resultsWithheld(_, client, 10) = $0 { return true }
            return false
        }
        #expect(withheld.count == 1, "one event when the client first has results withheld")
        var received = finished.results.map(\.id)
        for _ in 0..<4 {
            let pinged = try ping(&broker)
            #expect(pinged.sent(to: client).first == .batch(.delimited, .pong(sessionKnown: true)))
            #expect(pinged.results.count == 1, "one result of 10 bytes per message from the client")
            received += pinged.results.map(\.id)
        }
        #expect(received == ["a1", "a2", "a3", "a4", "a5"])
        #expect(try ping(&broker).results.isEmpty)
        #expect(broker.machine.state(ofTask: "a5", session: [7]) == "succeeded")
    }

    @Test("sends withheld results to the peer that submits next, oldest first, before the new submission's")
    func submitResumes() throws {
        var broker = BrokerHarness { $0.unreadResultBytes = 20 }
        #expect(try finish(4, broker: &broker).results.map(\.id) == ["a1", "a2"])
        let newPeer = PeerID([0xc9])
        let resubmitted = broker.submit([task("a1")], from: newPeer)
        #expect(resubmitted.sent(to: client).isEmpty)
        #expect(resubmitted.results.map(\.id) == ["a3", "a4"], "the duplicate a1 is withheld behind them")
        #expect(try ping(&broker, from: newPeer).results.map(\.id) == ["a1"])
    }

    @Test("answers PONG 0 when a withheld result was forgotten, so the client submits again what it lacks")
    func forgottenWithheld() throws {
        var broker = BrokerHarness {
            $0.unreadResultBytes = 10
            $0.retainFinished = 1
        }
        #expect(try finish(3, broker: &broker).results.map(\.id) == ["a1"])
        #expect(broker.machine.taskCount == 1, "retention kept a3 only; a2 was withheld and forgotten")
        let pinged = try ping(&broker)
        #expect(pinged.sent(to: client).first == .batch(.delimited, .pong(sessionKnown: false)))
        #expect(pinged.results.map(\.id) == ["a3"])
        let resumed = pinged.events.contains {
            if case .resultsResumed(_, client, 1, 1) = $0 { return true }
            return false
        }
        #expect(resumed)
        #expect(try ping(&broker).sent(to: client).first == .batch(.delimited, .pong(sessionKnown: true)))
    }

    @Test("keeps finished tasks within the byte limit, forgetting the oldest first")
    func retainsWithinBytes() throws {
        var broker = BrokerHarness { $0.retainFinishedBytes = 25 }
        #expect(try finish(5, broker: &broker).results.count == 5)
        #expect(broker.machine.taskCount == 2)
        #expect(broker.machine.retainedBytes == 20)
        #expect(broker.machine.state(ofTask: "a3", session: [7]) == nil)
        #expect(broker.machine.state(ofTask: "a4", session: [7]) == "succeeded")
        #expect(broker.machine.state(ofTask: "a5", session: [7]) == "succeeded")
    }

    @Test(
        "withholds live results from an attachment past its unread bytes: the cursor stays below them, MORE sends them")
    func attachmentWithholds() throws {
        var broker = BrokerHarness { $0.unreadResultBytes = 10 }
        broker.receive(try ClientMessage.attach(session: [7], after: 0, options: .create).encoded, from: watcher)
        let live = try finish(3, from: watcher, broker: &broker).streams(to: watcher)
        #expect(live.flatMap { $0.results.map(\.key) } == [1])
        #expect(live.last?.progress == StreamProgress(cursor: 1, unfinished: 0, complete: false, more: true))
        let more = broker.receive(try ClientMessage.more(session: [7]).encoded, from: watcher).streams(to: watcher)
        #expect(more.flatMap { $0.results.map(\.key) } == [2, 3])
        #expect(more.last?.progress == StreamProgress(cursor: 3, unfinished: 0, complete: true, more: false))
    }

    @Test("a client that attaches again after its cursor gets the results withheld from its old attachment")
    func reattachAfterCursor() throws {
        var broker = BrokerHarness { $0.unreadResultBytes = 10 }
        broker.receive(try ClientMessage.attach(session: [7], after: 0, options: .create).encoded, from: watcher)
        let cursor = try #require(try finish(3, from: watcher, broker: &broker).streams(to: watcher).last).progress
        let other = PeerID([0xa8])
        let replay = broker.receive(
            try ClientMessage.attach(session: [7], after: cursor.cursor, options: []).encoded, from: other
        ).streams(to: other)
        #expect(replay.flatMap { $0.results.map(\.key) } == [2, 3])
        #expect(replay.last?.progress.complete == true)
    }

    @Test(
        "a journal read that the replay position went back below while it waited skips no result withheld behind it")
    func staleReplayRead() throws {
        var broker = BrokerHarness {
            $0.journaled = true
            $0.unreadResultBytes = 10
        }
        let late: [UInt64] = [10, 20, 1040, 1050, 1060]
        let held = try finishAllBut(late, of: 1100, broker: &broker)
        // The watcher replays the 1 095 finished results (two journal pages) and catches up.
        var streams = replay(
            broker.receive(try ClientMessage.attach(session: [7], after: 0, options: []).encoded, from: watcher),
            broker: &broker)
        streams += replay(broker.receive(try ClientMessage.more(session: [7]).encoded, from: watcher), broker: &broker)
        try #require(streams.last?.progress.more == false)
        // Live: a1050 fills its allowance, a1060 is withheld.
        let live = broker.results(
            try [1050, 1060].map { answer(try #require(held[$0]), .succeeded, tenBytes) }, from: w1)
        try #require(live.streams(to: watcher).flatMap { $0.results.map(\.key) } == [1050])
        // One pass: MORE queues a read from above 1059; a10 goes out live and a20 and a1040 are withheld behind it;
        // PING takes the position back to 19 and queues a read from there while the first still waits.
        let answers = try [10, 20, 1040].map { answer(try #require(held[$0]), .succeeded, tenBytes) }
        let pass = broker.receive([
            (try ClientMessage.more(session: [7]).encoded, watcher),
            (wire(try MDPCodec.encodeFromWorker(.results(answers))), w1),
            (try ClientMessage.ping(session: [7]).encoded, watcher),
        ])
        #expect(pass.contains(.replayResults(session: [7], after: 1059, limit: 1000, to: watcher)))
        #expect(pass.contains(.replayResults(session: [7], after: 19, limit: 1000, to: watcher)))
        streams = pass.streams(to: watcher) + replay(pass, broker: &broker)
        var received = Set(streams.flatMap { $0.results.map(\.key) })
        var asked = 0
        while streams.last?.progress.more == true, asked < 10 {
            asked += 1
            streams = replay(
                broker.receive(try ClientMessage.more(session: [7]).encoded, from: watcher), broker: &broker)
            received.formUnion(streams.flatMap { $0.results.map(\.key) })
        }
        #expect([20, 1040, 1060].filter { !received.contains($0) } == [], "every withheld result reaches the watcher")
        #expect(streams.last?.progress == StreamProgress(cursor: 1100, unfinished: 0, complete: true, more: false))
    }

    /// Submits `count` tasks `a1…` from `client` to a batching worker and answers all but those with a key in `late`
    /// (task `aN` has key N); returns the held-back tasks by key.
    func finishAllBut(
        _ late: [UInt64],
        of count: Int,
        broker: inout BrokerHarness
    ) throws -> [UInt64: AssignedTask] {
        broker.corsairWorker(w1, category: "a", credit: 10_000, batching: true)
        let assigned = broker.submit((1...count).map { task("a\($0)") }).batches.flatMap(\.tasks)
        try #require(assigned.count == count)
        let answered = assigned.filter { !late.contains($0.token.task.rawValue) }
        for start in stride(from: 0, to: answered.count, by: 1000) {
            broker.results(answered[start..<min(start + 1000, answered.count)].map { answer($0) }, from: w1)
        }
        return Dictionary(
            uniqueKeysWithValues: assigned.filter { late.contains($0.token.task.rawValue) }.map {
                ($0.token.task.rawValue, $0)
            })
    }

    /// Carries out the journal reads `actions` ask for, in order, as the driver does at the end of a pass, from the
    /// results the machine holds finished (a journal holds the same); returns the STREAMs they send the watcher.
    func replay(
        _ actions: [BrokerAction],
        broker: inout BrokerHarness
    ) -> [(progress: StreamProgress, results: [KeyedResult])] {
        var streams: [(progress: StreamProgress, results: [KeyedResult])] = []
        for case .replayResults(let session, let after, let limit, let peer) in actions {
            var read: [KeyedResult] = []
            var key = after
            while read.count < limit, key < broker.machine.lastKey {
                key += 1
                if broker.machine.state(ofTask: "a\(key)", session: session) == "succeeded" {
                    read.append(
                        KeyedResult(
                            key: key,
                            result: TaskResult(
                                id: "a\(key)", category: "a", outcome: .succeeded, attempts: 1, worker: nil,
                                started: nil,
                                finished: 1, output: [])))
                }
            }
            streams += broker.machine.resultsReplayed(read, session: session, after: after, to: peer, limit: limit)
                .streams(to: peer)
        }
        return streams
    }
}
