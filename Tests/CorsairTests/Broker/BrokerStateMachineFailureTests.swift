import Testing

@testable import Corsair

@Suite struct BrokerStateMachineFailureTests {
    @Test("drops a silent worker after liveness intervals and requeues its task to another")
    func expiresSilentWorker() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        #expect(first.worker == w1)
        broker.plainWorker(w2, category: "a", after: .seconds(1))
        // w2 heartbeats; w1 stays silent.
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .milliseconds(2500))
        #expect(broker.tick(after: .milliseconds(2900)).requests.isEmpty)
        let expired = broker.tick(after: .milliseconds(3100))
        #expect(
            expired.events.contains(.workerLeft(peer: w1, name: "\(w1)", category: "a", reason: .expired, inFlight: 1)))
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
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .milliseconds(2500))
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
        let left = broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1)
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
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1)
        broker.corsairWorker(w2, category: "a", credit: 1)
        // A FINAL carrying attempt 1 arrives from w2, which holds attempt 2.
        let late = broker.final(
            SentRequest(worker: w2, envelope: first.envelope, header: nil, body: []), outcome: .succeeded)
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
        let left = broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1)
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
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(2))
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .seconds(2))
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(4))
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w2, after: .seconds(4))
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
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(2))
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
        broker.receive(try MDPCodec.encodeFromWorker(.heartbeat), from: w1, after: .seconds(1))
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
