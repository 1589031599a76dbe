import Testing

@testable import Corsair

@Suite struct BrokerStateMachineDispatchTests {
    @Test("queues tasks until a worker of their category is ready, then dispatches")
    func queuesUntilReady() {
        var broker = BrokerHarness()
        let submitted = broker.submit([task("a1")])
        #expect(submitted.requests.isEmpty)
        #expect(broker.machine.queueDepth(category: "a") == 1)
        let requests = broker.plainWorker(w1, category: "a").requests
        #expect(requests.map(\.payload) == ["a1"])
        #expect(requests.first?.worker == w1)
        #expect(broker.machine.queueDepth(category: "a") == 0)
    }

    @Test("routes each task only to workers of its category")
    func routesByCategory() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.plainWorker(w2, category: "b")
        let requests = broker.submit([task("b1"), task("a1"), task("c1")]).requests
        #expect(Set(requests.map { "\($0.worker):\($0.payload)" }) == ["\(w2):b1", "\(w1):a1"])
        #expect(broker.machine.queueDepth(category: "c") == 1)
    }

    @Test("dispatches a category in submission order")
    func submissionOrder() {
        var broker = BrokerHarness()
        broker.submit([task("a1"), task("a2"), task("b1"), task("a3")])
        var order = [SentRequest]()
        order += broker.plainWorker(w1, category: "a").requests
        for _ in 0..<3 {
            order += broker.final(order.last!).requests
        }
        #expect(order.map(\.payload) == ["a1", "a2", "a3"])
    }

    @Test("dispatches higher priority first, then submission order")
    func priorityFirst() {
        var broker = BrokerHarness()
        broker.submit([task("a1"), task("a2", priority: 5), task("a3", priority: -1), task("a4", priority: 5)])
        var order = broker.plainWorker(w1, category: "a").requests
        for _ in 0..<3 {
            order += broker.final(order.last!).requests
        }
        #expect(order.map(\.payload) == ["a2", "a4", "a1", "a3"])
    }

    @Test("gives work to the least recently used worker first")
    func leastRecentlyUsed() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.plainWorker(w2, category: "a")
        broker.plainWorker(w3, category: "a")
        let first = broker.submit([task("a1"), task("a2")]).requests
        #expect(first.map(\.worker) == [w1, w2])
        // w2 finishes before w1: w3 (never used) is next, then w2, then w1.
        broker.final(first[1])
        broker.final(first[0])
        let next = broker.submit([task("a3"), task("a4"), task("a5")]).requests
        #expect(next.map(\.worker) == [w3, w2, w1])
    }

    @Test("sends a Corsair worker up to its credit at once, with task headers")
    func creditAndHeaders() {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(7) }
        let joined = broker.corsairWorker(w1, category: "a", credit: 3)
        #expect(
            joined.sent(to: w1) == [.heartbeat(.delimited, acknowledgement: .seconds(1), maxMessageBytes: 16 << 20)])
        let requests = broker.submit([task("a1"), task("a2"), task("a3"), task("a4")]).requests
        #expect(requests.map(\.payload) == ["a1", "a2", "a3"])
        #expect(requests.map(\.header) == [
            TaskHeader(id: "a1", attempt: 1, timeout: .seconds(7)),
            TaskHeader(id: "a2", attempt: 1, timeout: .seconds(7)),
            TaskHeader(id: "a3", attempt: 1, timeout: .seconds(7)),
        ])
        let more = broker.final(requests[1], outcome: .succeeded).requests
        #expect(more.map(\.payload) == ["a4"])
    }

    @Test("spreads tasks over workers with credit instead of filling one first")
    func spreadsOverCredit() {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2)
        broker.corsairWorker(w2, category: "a", credit: 2)
        let requests = broker.submit([task("a1"), task("a2"), task("a3"), task("a4")]).requests
        #expect(requests.map(\.worker) == [w1, w2, w1, w2])
    }

    @Test("puts its task key and attempt in the envelope and maps FINAL back to the client")
    func envelopeMapping() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let request = try #require(broker.submit([task("a1")]).requests.first)
        #expect(request.token?.attempt == 1)
        let done = broker.final(request, body: "result-a1")
        let result = try #require(done.results.first)
        #expect(result.id == "a1")
        #expect(result.outcome == .succeeded)
        #expect(result.output == Array("result-a1".utf8))
        #expect(result.attempts == 1)
        #expect(result.worker == w1.description)
        #expect(result.started == 1_000_000)
        #expect(done.sent(to: client).count == 1)
    }

    @Test("acknowledges a submission before any of its results")
    func acknowledgesFirst() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let actions = broker.submit([task("a1")])
        let first = try #require(actions.sent(to: client).first)
        #expect(first == .batch(.delimited, .accepted(["a1"])))
    }
}

@Suite struct BrokerStateMachineClientTests {
    @Test("answers an RFC 18 client in RFC 18 framing with the service name")
    func rfc18Client() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "echo")
        let request = try #require(
            broker.receive([MDP.clientHeader, [0x01], Array("echo".utf8), Array("hi".utf8)], from: client).requests.first)
        let reply = broker.final(request, body: "hi").sent(to: client)
        #expect(reply == [.reply(.rfc18, .rfc18, final: true, category: "echo", body: [Array("hi".utf8)])])
        #expect(MDPCodec.encode(reply[0]) == [MDP.clientHeader, [0x03], Array("echo".utf8), Array("hi".utf8)])
    }

    @Test("answers a majortomo client in its framing and numbering")
    func majortomoClient() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "echo")
        let request = try #require(
            broker.receive([[], MDP.clientHeader, [0x02], Array("echo".utf8), Array("hi".utf8)], from: client)
                .requests.first)
        let reply = broker.final(request, body: "hi").sent(to: client)
        #expect(MDPCodec.encode(reply[0]) == [[], MDP.clientHeader, [0x04], Array("hi".utf8)])
    }

    @Test("serves many requests in flight from one client socket")
    func manyInFlight() {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "echo", credit: 10)
        var requests = [SentRequest]()
        for index in 0..<10 {
            requests += broker.receive(
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
        #expect(ask("mmi.service", "a") == [.reply(.rfc18, .rfc18, final: true, category: "mmi.service", body: [Array("200".utf8)])])
        #expect(ask("mmi.service", "b") == [.reply(.rfc18, .rfc18, final: true, category: "mmi.service", body: [Array("404".utf8)])])
        #expect(ask("mmi.nothing", "a") == [.reply(.rfc18, .rfc18, final: true, category: "mmi.nothing", body: [Array("501".utf8)])])
    }

    @Test("relays PARTIAL replies to a plain MDP client")
    func relaysPartial() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let request = try #require(
            broker.receive([MDP.clientHeader, [0x01], Array("a".utf8), [1]], from: client).requests.first)
        let partial = broker.receive(
            MDPCodec.encodeFromWorker(.partial(envelope: request.envelope, body: [Array("half".utf8)])), from: w1)
        #expect(partial.sent(to: client) == [.reply(.rfc18, .rfc18, final: false, category: "a", body: [Array("half".utf8)])])
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
        let unknown = broker.receive(ClientMessage.ping(session: [7]).encoded, from: client)
        #expect(unknown.sent(to: client) == [.batch(.delimited, .pong(sessionKnown: false))])
        broker.plainWorker(w1, category: "a")
        let request = try #require(broker.submit([task("a1")]).requests.first)
        let newPeer = PeerID([0xc9])
        let known = broker.receive(ClientMessage.ping(session: [7]).encoded, from: newPeer)
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
        #expect(rejections[0].reason.contains("reserved"))
        #expect(rejections[1].reason.contains("101"))
    }
}

@Suite struct BrokerStateMachineFailureTests {
    @Test("drops a silent worker after liveness intervals and requeues its task to another")
    func expiresSilentWorker() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        #expect(first.worker == w1)
        broker.plainWorker(w2, category: "a", after: .seconds(1))
        // w2 heartbeats; w1 stays silent.
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .milliseconds(2500))
        #expect(broker.tick(after: .milliseconds(2900)).requests.isEmpty)
        let expired = broker.tick(after: .milliseconds(3100))
        #expect(expired.events.contains(.workerLeft(peer: w1, name: "\(w1)", category: "a", reason: .expired, inFlight: 1)))
        let retry = try #require(expired.requests.first)
        #expect(retry.worker == w2)
        #expect(retry.token?.attempt == 2)
        #expect(expired.requeueReasons == ["worker_lost"])
    }

    @Test("answers a dropped worker's later FINAL with DISCONNECT, counts it and does not apply it")
    func lateMessageFromDroppedWorker() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        broker.plainWorker(w2, category: "a", after: .seconds(1))
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .milliseconds(2500))
        let retry = try #require(broker.tick(after: .milliseconds(3100)).requests.first)
        #expect(retry.worker == w2)

        let late = broker.final(first, body: "stale", after: .seconds(4))
        #expect(late.sent(to: w1) == [.disconnect(.delimited)])
        #expect(late.results.isEmpty)
        #expect(late.events.contains { if case .unexpectedMessage(w1, _) = $0 { true } else { false } })
        #expect(broker.machine.statistics.badMessages == 1)
        let finished = broker.final(retry, body: "fresh", after: .seconds(5))
        #expect(finished.results.map { String(decoding: $0.output, as: UTF8.self) } == ["fresh"])
        #expect(finished.results.map(\.attempts) == [2])
    }

    @Test("heartbeats workers it has sent nothing to for an interval")
    func heartbeats() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        #expect(broker.tick(after: .milliseconds(500)).isEmpty)
        let beat = broker.tick(after: .milliseconds(1000))
        #expect(beat.sent(to: w1) == [.heartbeat(.delimited, acknowledgement: nil)])
        #expect(broker.machine.nextDeadline == broker.t0 + .seconds(2))
    }

    @Test("heartbeats a worker one interval after the last message it was sent, not a round later")
    func heartbeatsOnTime() {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(60) }
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1")], after: .milliseconds(500))
        #expect(broker.tick(after: .seconds(1)).sent(to: w1).isEmpty)
        #expect(broker.machine.nextDeadline == broker.t0 + .milliseconds(1500))
        #expect(broker.tick(after: .milliseconds(1500)).sent(to: w1) == [.heartbeat(.delimited, acknowledgement: nil)])
    }

    @Test("judges a worker's silence by the longer of both heartbeat intervals")
    func longerIntervalWins() {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1, heartbeat: .seconds(5))
        let events = broker.tick(after: .seconds(4)).events
        #expect(!events.contains { if case .workerLeft = $0 { true } else { false } })
        #expect(broker.machine.workerCount(category: "a") == 1)
        broker.tick(after: .seconds(16))
        #expect(broker.machine.workerCount(category: "a") == 0)
    }

    @Test("requeues the tasks of a worker that sends DISCONNECT")
    func disconnectRequeues() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2)
        broker.submit([task("a1"), task("a2")])
        let left = broker.receive(MDPCodec.encodeFromWorker(.disconnect), from: w1)
        #expect(left.requeueReasons == ["worker_lost", "worker_lost"])
        #expect(left.sent(to: w1).isEmpty)
        #expect(broker.machine.queueDepth(category: "a") == 2)
        let again = broker.plainWorker(w2, category: "a").requests
        #expect(again.map(\.payload) == ["a1"])
    }

    @Test("retries a failed attempt, then fails the task with the last reason when attempts run out")
    func retriesThenFails() throws {
        var broker = BrokerHarness { $0.maxAttempts = 2 }
        broker.corsairWorker(w1, category: "a", credit: 1)
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let second = try #require(broker.final(first, outcome: .failed, body: "boom 1").requests.first)
        #expect(second.header?.attempt == 2)
        let done = broker.final(second, outcome: .failed, body: "boom 2")
        let result = try #require(done.results.first)
        #expect(result.outcome == .failed)
        #expect(result.attempts == 2)
        #expect(
            String(decoding: result.output, as: UTF8.self)
                == "boom 2 (after 2 attempts)\nattempt 1 on w-01: boom 1\nattempt 2 on w-01: boom 2")
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "failed")
    }

    @Test("honours a task's own attempt limit")
    func perTaskAttempts() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let first = try #require(broker.submit([task("a1", maxAttempts: 1)]).requests.first)
        #expect(broker.final(first, outcome: .failed, body: "no").results.first?.outcome == .failed)
    }

    @Test("fails a task at once when the worker says retrying cannot help")
    func rejectedOutcome() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let done = broker.final(first, outcome: .rejected, body: "division by zero")
        #expect(done.results.first?.attempts == 1)
        #expect(done.results.first?.outcome == .failed)
        #expect(done.requests.isEmpty)
    }

    @Test("requeues a handed-back task without counting the attempt and sends that worker nothing more")
    func handedBack() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 2)
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let back = broker.final(first, outcome: .handedBack, body: "worker shutting down")
        #expect(back.requeueReasons == ["handed_back"])
        #expect(back.requests.isEmpty, "the draining worker gets nothing more")
        let retry = try #require(broker.corsairWorker(w2, category: "a", credit: 1).requests.first)
        #expect(retry.header?.attempt == 1)
        #expect(broker.final(retry, outcome: .succeeded).results.map(\.attempts) == [1])
    }

    @Test("ignores and reports a FINAL for an attempt that is no longer current")
    func lateReply() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let first = try #require(broker.submit([task("a1")]).requests.first)
        broker.receive(MDPCodec.encodeFromWorker(.disconnect), from: w1)
        broker.corsairWorker(w2, category: "a", credit: 1)
        // A FINAL carrying attempt 1 arrives from w2, which holds attempt 2.
        let late = broker.final(SentRequest(worker: w2, envelope: first.envelope, header: nil, body: []), outcome: .succeeded)
        #expect(late.results.isEmpty)
        #expect(late.events.contains(.lateReply(peer: w2, envelope: first.envelope.hexString)))
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "running")
    }

    @Test("a late FINAL does not free the slot of the attempt the worker holds now")
    func lateReplyKeepsCurrentAttempt() throws {
        var broker = BrokerHarness()
        broker.corsairWorker(w1, category: "a", credit: 1)
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let second = try #require(broker.final(first, outcome: .failed, body: "flaky").requests.first)
        #expect(second.worker == w1)
        // The first attempt's FINAL arrives again: ignored, and the second attempt is still tracked on w1.
        #expect(broker.final(first, outcome: .succeeded).results.isEmpty)
        #expect(broker.submit([task("a2")]).requests.isEmpty, "w1 has no free credit while it holds attempt 2")
        let left = broker.receive(MDPCodec.encodeFromWorker(.disconnect), from: w1)
        #expect(left.requeueReasons == ["worker_lost"])
        #expect(broker.machine.state(ofTask: "a1", session: [7]) == "queued")
    }

    @Test("requeues an attempt past its deadline to another worker and ignores the late reply")
    func timeoutRequeues() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(5) }
        broker.plainWorker(w1, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        broker.plainWorker(w2, category: "a")
        #expect(broker.machine.nextDeadline == broker.t0 + .seconds(1))
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(2))
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .seconds(2))
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(4))
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .seconds(4))
        #expect(broker.tick(after: .milliseconds(4999)).requeueReasons.isEmpty)
        let expired = broker.tick(after: .seconds(5))
        #expect(expired.requeueReasons == ["timeout"])
        let retry = try #require(expired.requests.first)
        #expect(retry.worker == w2)
        #expect(retry.token?.attempt == 2)
        let late = broker.final(first, body: "too late", after: .seconds(6))
        #expect(late.results.isEmpty)
        #expect(late.events.contains(.lateReply(peer: w1, envelope: first.envelope.hexString)))
        let done = broker.final(retry, body: "on time", after: .seconds(6))
        #expect(done.results.map(\.attempts) == [2])
        #expect(done.results.map { String(decoding: $0.output, as: UTF8.self) } == ["on time"])
    }

    @Test("keeps a timed-out attempt's credit busy until its worker answers")
    func timeoutKeepsCreditBusy() throws {
        var broker = BrokerHarness { $0.taskTimeout = .seconds(2) }
        broker.plainWorker(w1, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(2))
        let expired = broker.tick(after: .seconds(2))
        #expect(expired.requeueReasons == ["timeout"])
        #expect(expired.requests.isEmpty, "w1 is still busy with the first attempt")
        let freed = broker.final(first, after: .seconds(3))
        #expect(freed.results.isEmpty)
        #expect(freed.requests.map(\.token?.attempt) == [2])
    }

    @Test("honours a task's own timeout and fails it when timeouts use up its attempts")
    func perTaskTimeout() throws {
        var broker = BrokerHarness { $0.maxAttempts = 1 }
        broker.corsairWorker(w1, category: "a", credit: 2)
        let spec = TaskSpec(id: "a1", category: "a", payload: [], timeout: .milliseconds(1500))
        let request = try #require(broker.submit([spec]).requests.first)
        #expect(request.header?.timeout == .milliseconds(1500))
        #expect(broker.machine.nextDeadline == broker.t0 + .seconds(1))
        broker.receive(MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(1))
        _ = broker.tick(after: .seconds(1))
        #expect(broker.machine.nextDeadline == broker.t0 + .milliseconds(1500))
        let failed = broker.tick(after: .milliseconds(1500))
        #expect(failed.results.map(\.outcome) == [.failed])
        #expect(failed.results.map { String(decoding: $0.output, as: UTF8.self) } == ["timeout (after 1 attempt)"])
    }

    @Test("drops a worker the ROUTER can no longer reach and requeues its task")
    func unreachable() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1")])
        let actions = broker.machine.peerUnreachable(w1, at: broker.t0)
        #expect(actions.requeueReasons == ["worker_lost"])
        #expect(broker.machine.workerCount(category: "a") == 0)
    }

    @Test("answers a command from a worker that sent no READY with DISCONNECT")
    func unknownWorker() {
        var broker = BrokerHarness()
        let actions = broker.receive([MDP.workerHeader, [0x05]], from: w1)
        #expect(actions.sent(to: w1) == [.disconnect(.rfc18)])
        #expect(actions.events.contains { if case .unexpectedMessage = $0 { true } else { false } })
    }

    @Test("drops a worker that sends a second READY and requeues its task")
    func secondReady() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1")])
        let actions = broker.plainWorker(w1, category: "a")
        #expect(actions.sent(to: w1).contains(.disconnect(.delimited)))
        #expect(actions.requeueReasons == ["worker_lost"])
        #expect(broker.machine.workerCount(category: "a") == 0)
    }

    @Test("refuses a worker that announces a reserved category")
    func reservedCategoryWorker() {
        var broker = BrokerHarness()
        let actions = broker.plainWorker(w1, category: "mmi.service")
        #expect(actions.sent(to: w1) == [.disconnect(.delimited)])
        #expect(broker.machine.workerCount(category: "mmi.service") == 0)
    }
}

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
