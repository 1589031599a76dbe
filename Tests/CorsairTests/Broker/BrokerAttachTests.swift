import Testing

@testable import Corsair

/// Attached clients (ATTACH, MORE, STREAM): the replay of finished results, live results, and each result sent once.
@Suite struct BrokerAttachTests {
    let watcher = PeerID([0xa7])

    /// Submits `count` tasks `a1…` from `client` to a batching worker with room for all, and answers every one but
    /// those whose task key is in `unanswered` (task `aN` has key N). Returns the harness and the held-back tasks.
    func finishedBatch(
        _ count: Int,
        unanswered: Set<Int> = [],
        configure: (inout BrokerConfiguration) -> Void = { _ in }
    ) throws -> (BrokerHarness, [AssignedTask]) {
        var broker = BrokerHarness(configure)
        broker.corsairWorker(w1, category: "a", credit: 10_000, batching: true)
        let assigned = broker.submit((1...count).map { task("a\($0)") }).batches.flatMap(\.tasks)
        try #require(assigned.count == count)
        let held = assigned.filter { unanswered.contains(Int($0.token.task.rawValue)) }
        let answered = assigned.filter { !unanswered.contains(Int($0.token.task.rawValue)) }
        var start = 0
        while start < answered.count {
            let end = min(start + 1000, answered.count)
            broker.results(answered[start..<end].map { answer($0) }, from: w1)
            start = end
        }
        return (broker, held)
    }

    @Test("answers ATTACH for an unknown session as unknown and creates nothing, unless asked to create it")
    func unknownSession() throws {
        var broker = BrokerHarness()
        let unknown = broker.receive(
            try ClientMessage.attach(session: [9], after: 0, options: []).encoded, from: watcher)
        #expect(
            unknown.sent(to: watcher) == [
                .batch(.delimited, .attached(AttachStatus(flags: [], tasks: 0, unfinished: 0)))
            ])
        #expect(broker.machine.sessions[SessionID([9])] == nil)
        let created = broker.receive(
            try ClientMessage.attach(session: [9], after: 0, options: .create).encoded, from: watcher)
        let progress = StreamProgress(cursor: 0, unfinished: 0, complete: true, more: false)
        #expect(
            created.sent(to: watcher) == [
                .batch(.delimited, .attached(AttachStatus(flags: .sessionKnown, tasks: 0, unfinished: 0))),
                .batch(.delimited, .stream(progress, [])),
            ])
    }

    @Test(
        "replays finished results by pages in key order, holds back later ones the replay will reach, sends each once")
    func replayThenLive() throws {
        var (broker, held) = try finishedBatch(1500, unanswered: [1, 1200])
        let attached = broker.receive(
            try ClientMessage.attach(session: [7], after: 0, options: []).encoded, from: watcher)
        let status = AttachStatus(flags: .sessionKnown, tasks: 1500, unfinished: 2)
        #expect(attached.sent(to: watcher).first == .batch(.delimited, .attached(status)))
        var received = attached.streams(to: watcher)
        #expect(received.map(\.results.count) == [1000])
        #expect(received.first?.progress == StreamProgress(cursor: 0, unfinished: 2, complete: false, more: true))
        let late = try #require(held.last)
        #expect(broker.results([answer(late)], from: w1).streams(to: watcher).isEmpty, "key 1200 waits for the replay")
        let first = try #require(held.first)
        let live = broker.results([answer(first)], from: w1).streams(to: watcher)
        #expect(live.flatMap { $0.results.map(\.key) } == [1])
        #expect(live.first?.progress.cursor == 1001)
        received += live
        let rest = broker.receive(try ClientMessage.more(session: [7]).encoded, from: watcher).streams(to: watcher)
        #expect(rest.first?.progress == StreamProgress(cursor: 1500, unfinished: 0, complete: true, more: false))
        received += rest
        let keys = received.flatMap { $0.results.map(\.key) }
        #expect(keys.sorted() == Array(1...1500))
        #expect(received.flatMap(\.results).allSatisfy { $0.result.outcome == .succeeded })
    }

    @Test("attaches after a cursor and replays only the keys above it")
    func resumesAfterCursor() throws {
        var (broker, _) = try finishedBatch(30)
        let actions = broker.receive(
            try ClientMessage.attach(session: [7], after: 25, options: []).encoded, from: watcher)
        let streams = actions.streams(to: watcher)
        #expect(streams.flatMap { $0.results.map(\.key) } == [26, 27, 28, 29, 30])
        #expect(streams.first?.progress == StreamProgress(cursor: 30, unfinished: 0, complete: true, more: false))
        #expect(streams.first?.results.first?.result.id == "a26")
    }

    @Test("follows a session it submits to: results come as STREAM only, with a cursor below the oldest unfinished")
    func submitWhileAttached() throws {
        var broker = BrokerHarness()
        broker.receive(try ClientMessage.attach(session: [7], after: 0, options: .create).encoded, from: client)
        broker.corsairWorker(w1, category: "a", credit: 10, batching: true)
        let sent = broker.submit([task("a1"), task("a2"), task("a3")])
        #expect(
            sent.sent(to: client) == [
                .batch(.delimited, .accepted(["a1", "a2", "a3"])),
                .batch(.delimited, .stream(StreamProgress(cursor: 0, unfinished: 3, complete: false, more: false), [])),
            ])
        let assigned = sent.batches.flatMap(\.tasks)
        try #require(assigned.count == 3)
        let answered = broker.results([answer(try #require(assigned.last))], from: w1)
        #expect(answered.results.isEmpty, "no RESULT to an attached peer")
        let stream = try #require(answered.streams(to: client).first)
        #expect(stream.results.map(\.key) == [3])
        #expect(stream.progress == StreamProgress(cursor: 0, unfinished: 2, complete: false, more: false))
        let rest = broker.results(assigned.dropLast().map { answer($0) }, from: w1).streams(to: client)
        #expect(rest.first?.progress == StreamProgress(cursor: 3, unfinished: 0, complete: true, more: false))
    }

    @Test("says in PONG, when asked, whether the attachment is known and the broker durable")
    func pongFlags() throws {
        var broker = BrokerHarness { $0.journaled = true }
        broker.receive(try ClientMessage.attach(session: [7], after: 0, options: .create).encoded, from: watcher)
        let attached = broker.receive(try ClientMessage.ping(session: [7], wantsFlags: true).encoded, from: watcher)
        #expect(
            attached.sent(to: watcher) == [
                .batch(.delimited, .pong(sessionKnown: true, flags: [.sessionKnown, .durable]))
            ])
        let other = broker.receive(try ClientMessage.ping(session: [7], wantsFlags: true).encoded, from: client)
        #expect(other.sent(to: client) == [.batch(.delimited, .pong(sessionKnown: false, flags: .durable))])
        let plain = broker.receive(try ClientMessage.ping(session: [7]).encoded, from: client)
        #expect(plain.sent(to: client) == [.batch(.delimited, .pong(sessionKnown: false))])
    }

    @Test("asks a journaled driver for each replay page and sends what it reads")
    func journalReplay() throws {
        var (broker, _) = try finishedBatch(3) { $0.journaled = true }
        let attached = broker.receive(
            try ClientMessage.attach(session: [7], after: 1, options: []).encoded, from: watcher)
        #expect(attached.contains(.replayResults(session: [7], after: 1, limit: 1000, to: watcher)))
        #expect(attached.streams(to: watcher).isEmpty)
        let read = [2, 3].map {
            KeyedResult(
                key: $0,
                result: TaskResult(
                    id: "a\($0)", category: "a", outcome: .succeeded, attempts: 1, worker: nil, started: nil,
                    finished: 1, output: []))
        }
        let replayed = broker.machine.resultsReplayed(read, session: [7], after: 1, to: watcher, limit: 1000)
        let stream = try #require(replayed.streams(to: watcher).first)
        #expect(stream.results == read)
        #expect(stream.progress == StreamProgress(cursor: 3, unfinished: 0, complete: true, more: false))
    }

    @Test("detaches a peer the ROUTER can no longer reach")
    func unreachableDetaches() throws {
        var (broker, held) = try finishedBatch(2, unanswered: [2])
        broker.receive(try ClientMessage.attach(session: [7], after: 0, options: []).encoded, from: watcher)
        _ = broker.machine.peerUnreachable(watcher, at: broker.t0)
        #expect(broker.results([answer(try #require(held.first))], from: w1).streams(to: watcher).isEmpty)
        let more = broker.receive(try ClientMessage.more(session: [7]).encoded, from: watcher)
        #expect(
            more.events.contains(
                .unexpectedMessage(peer: watcher, what: "MORE from a peer not attached to that session")))
    }
}

extension [BrokerAction] {
    /// The STREAM messages sent to `peer`.
    func streams(to peer: PeerID) -> [(progress: StreamProgress, results: [KeyedResult])] {
        sent(to: peer).compactMap {
            guard case .batch(_, .stream(let progress, let results)) = $0 else { return nil }
            return (progress, results)
        }
    }
}
