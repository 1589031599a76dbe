import Foundation
import Testing

@testable import Corsair

@Suite struct BrokerStatusTests {
    @Test("reports workers, categories, tasks by state, retries by reason and bad messages")
    func status() throws {
        var broker = BrokerHarness { $0.orderedCategories = ["b"] }
        let offer = WorkerOffer(credit: 2, heartbeatInterval: .seconds(1), name: "w-one", host: "h1", pid: 42)
        broker.receive(try MDPCodec.encodeFromWorker(.ready(category: "a", offer: offer)), from: w1)
        broker.plainWorker(w2, category: "a")
        let requests = broker.submit([task("a1"), task("a2"), task("a3"), task("a4"), task("b1")]).requests
        let onW1 = requests.filter { $0.worker == w1 }
        broker.final(try #require(onW1.element(at: 0)), outcome: .succeeded)
        broker.final(try #require(onW1.element(at: 1)), outcome: .failed, body: "flaky")
        broker.receive([Array("junk".utf8)], from: PeerID([0xee]))
        let status = broker.machine.status(at: broker.t0 + .milliseconds(1500))
        #expect(status.uptimeMilliseconds == 1500)
        #expect(status.submitted == 5)
        #expect(status.succeeded == 1)
        #expect(status.retried == ["failed": 1])
        #expect(status.badMessages == 1)
        // a1 succeeded; a3 failed once and runs again on w1 beside a4; a2 runs on w2; b1 has no worker.
        #expect(
            status.tasks == ["scheduled": 0, "queued": 1, "running": 3, "succeeded": 1, "failed": 0, "cancelled": 0])
        #expect(
            status.categories == [
                CategoryStatus(name: "a", workers: 2, queued: 0, running: 3, ordered: false),
                CategoryStatus(name: "b", workers: 0, queued: 1, running: 0, ordered: true),
            ])
        let one = try #require(status.workers.first { $0.id == "w-one" })
        #expect(one.host == "h1")
        #expect(one.pid == 42)
        #expect(one.protocol == "corsair/1")
        #expect(one.credit == 2)
        #expect(one.inFlight == 2)
        #expect(one.completed == 1)
        #expect(one.failed == 1)
        #expect(one.lastHeartbeatAgeMilliseconds == 1500)
        #expect(status.workers.first { $0.id == "\(w2)" }?.protocol == "mdp/0.2")
    }

    @Test("lists tasks newest first, filtered by state and category, up to the limit")
    func taskList() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1"), task("a2"), task("b1"), task("a3")])
        #expect(broker.machine.tasks(matching: TaskQuery()).map(\.id) == ["a3", "b1", "a2", "a1"])
        #expect(broker.machine.tasks(matching: TaskQuery(state: "queued", category: "a")).map(\.id) == ["a3", "a2"])
        let running = broker.machine.tasks(matching: TaskQuery(state: "running"))
        #expect(running.map(\.id) == ["a1"])
        #expect(running.first?.worker == "\(w1)")
        #expect(running.first?.started == 1_000_000)
        #expect(broker.machine.tasks(matching: TaskQuery(limit: 1)).map(\.id) == ["a3"])
    }

    @Test("lists by state the most recent to enter it first, a requeued task once, behind thousands queued")
    func taskListByState() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        broker.submit([task("a1"), task("a2")])
        #expect(broker.machine.tasks(matching: TaskQuery(state: "running")).map(\.id) == ["a1"])
        // w1 is gone: a1, which it ran, is queued a second time, behind a2.
        broker.machine.peerUnreachable(w1, at: broker.t0)
        broker.submit((3...2000).map { task("a\($0)") })
        #expect(broker.machine.tasks(matching: TaskQuery(state: "queued", limit: 2)).map(\.id) == ["a2000", "a1999"])
        #expect(broker.machine.tasks(matching: TaskQuery(state: "running")).isEmpty)
        let queued = broker.machine.tasks(matching: TaskQuery(state: "queued", limit: 5000)).map(\.id)
        #expect(queued.count == 2000)
        #expect(queued.suffix(2) == ["a1", "a2"])
        #expect(broker.machine.tasks(matching: TaskQuery(state: "bogus")).isEmpty)
    }

    @Test("takes in-process submissions into a named batch, de-duplicated, and finds tasks by batch and id")
    func localSubmission() throws {
        var broker = BrokerHarness()
        let (receipt, actions) = broker.machine.submit(
            [task("a1"), task("a2"), task("mmi.x", "mmi.x")], session: Array("nightly".utf8), at: broker.t0)
        #expect(receipt.accepted == ["a1", "a2"])
        #expect(receipt.rejected.map(\.id) == ["mmi.x"])
        #expect(actions.events.contains(.tasksAccepted(session: "nightly", accepted: 2, duplicates: 0, rejected: 1)))
        let again = broker.machine.submit([task("a1")], session: Array("nightly".utf8), at: broker.t0)
        #expect(again.receipt.duplicates == 1)
        broker.submit([task("a1")], session: [0xde, 0xad])

        #expect(broker.machine.tasks(matching: TaskQuery(batch: "nightly")).map(\.id) == ["a2", "a1"])
        #expect(broker.machine.tasks(matching: TaskQuery(batch: "dead")).map(\.id) == ["a1"])
        let worker = broker.plainWorker(w1, category: "a")
        let request = try #require(worker.requests.first)
        broker.final(request, body: "done")
        let found = broker.machine.tasks(matching: TaskQuery(batch: "nightly", id: "a1"))
        #expect(found.map(\.state) == ["succeeded"])
        #expect(found.first?.result == "done")
        #expect(found.first?.finished == 1_000_000)
        #expect(
            broker.machine.tasks(matching: TaskQuery(state: "succeeded")).first?.result == nil,
            "results only come with a query for one id")
    }

    @Test("forgets the oldest finished tasks beyond --retain-finished; a forgotten id submitted again runs again")
    func retention() throws {
        var broker = BrokerHarness { $0.retainFinished = 2 }
        broker.corsairWorker(w1, category: "a", credit: 10)
        let requests = broker.submit([task("a1"), task("a2"), task("a3")]).requests
        #expect(requests.count == 3)
        for request in requests {
            broker.final(request, outcome: .succeeded)
        }
        #expect(broker.machine.tasks(matching: TaskQuery()).map(\.id) == ["a3", "a2"])
        #expect(broker.machine.taskCount == 2)
        let again = broker.submit([task("a1"), task("a3")])
        #expect(again.requests.map { $0.header?.id } == ["a1"], "a3 is still known, a1 was forgotten")
        #expect(again.results.map(\.id) == ["a3"], "a known finished task is answered again")
    }

    @Test("keeps its counts by state in step with its tasks through requeues, failures, replies and forgetting")
    func countsFollowTasks() throws {
        var broker = BrokerHarness {
            $0.retainFinished = 2
            $0.queueTimeout = .seconds(5)
            $0.maxAttempts = 2
        }
        broker.corsairWorker(w1, category: "a", credit: 2, heartbeat: .seconds(60))
        let first = broker.submit([task("a1"), task("a2"), task("a3"), task("a4"), task("b1")]).requests
        broker.receive([MDP.clientHeader, [0x01], Array("a".utf8), Array("plain".utf8)], from: PeerID([0xc2]))
        expectCountsMatchTasks(broker)
        broker.final(try #require(first.element(at: 0)), outcome: .succeeded)
        broker.final(try #require(first.element(at: 1)), outcome: .failed, body: "flaky")
        expectCountsMatchTasks(broker)
        broker.tick(after: .seconds(6))
        #expect(broker.machine.tasks.values.first { $0.id == "b1" }?.state == .failed, "b1 had no worker")
        expectCountsMatchTasks(broker)
        broker.tick(after: .seconds(17))
        expectCountsMatchTasks(broker)
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1, after: .seconds(17))
        expectCountsMatchTasks(broker)
        var pending = broker.corsairWorker(w2, category: "a", credit: 10, heartbeat: .seconds(60), after: .seconds(17))
            .requests
        while !pending.isEmpty {
            expectCountsMatchTasks(broker)
            pending = pending.flatMap { broker.final($0, outcome: .succeeded, after: .seconds(17)).requests }
        }
        expectCountsMatchTasks(broker)
        #expect(broker.machine.status(at: broker.t0).tasks["queued"] == 0)
        #expect(broker.machine.taskCount == 2, "only the two newest finished tasks are kept")
    }

    /// Checks the status's counts by state, overall and per category, against a visit of every tracked task.
    private func expectCountsMatchTasks(_ broker: BrokerHarness, sourceLocation: SourceLocation = #_sourceLocation) {
        let status = broker.machine.status(at: broker.t0)
        let tasks = Array(broker.machine.tasks.values)
        let byState = Dictionary(
            uniqueKeysWithValues: TaskState.allCases.map { state in
                (state.rawValue, tasks.count { $0.state == state })
            })
        #expect(status.tasks == byState, sourceLocation: sourceLocation)
        for category in status.categories {
            #expect(
                category.queued == tasks.count { $0.category == category.name && $0.state == .queued },
                "queued in \(category.name)", sourceLocation: sourceLocation)
            #expect(
                category.running == tasks.count { $0.category == category.name && $0.state == .running },
                "running in \(category.name)", sourceLocation: sourceLocation)
        }
    }

    @Test("shows a named batch by its name and a random session in hex")
    func batchNames() {
        #expect(BatchName.display(Array("nightly-2026".utf8)) == "nightly-2026")
        #expect(BatchName.display([0x00, 0xff]) == "00ff")
        #expect(BatchName.validate("nightly") == nil)
        #expect(BatchName.validate("") != nil)
        #expect(BatchName.validate("a b") != nil)
        #expect(BatchName.validate(String(repeating: "x", count: 65)) != nil)
    }

    @Test("answers a QUERY over the wire with a JSON REPORT")
    func queryOverTheWire() throws {
        var broker = BrokerHarness()
        broker.submit([task("a1")])
        let sent = broker.receive(try ClientMessage.query(.status).encoded, from: client).sent(to: client)
        guard case .batch(.delimited, .report(let json))? = sent.first else {
            Issue.record("expected a REPORT, got \(sent)")
            return
        }
        let status = try JSONDecoder().decode(BrokerStatus.self, from: Data(json))
        #expect(status.tasks["queued"] == 1)
        let tasks = broker.receive(try ClientMessage.query(.tasks(TaskQuery(state: "queued"))).encoded, from: client)
        guard case .batch(_, .report(let list))? = tasks.sent(to: client).first else {
            Issue.record("expected a REPORT")
            return
        }
        #expect(try JSONDecoder().decode([TaskStatus].self, from: Data(list)).map(\.id) == ["a1"])
    }

    @Test("encodes queries as the JSON docs/PROTOCOL.md shows")
    func queryJSON() throws {
        #expect(try ClientMessage.query(.status).encoded.last == Array(#"{"status":{}}"#.utf8))
        let tasks = try #require(try ClientMessage.query(.tasks(TaskQuery(state: "failed", limit: 5))).encoded.last)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(tasks)) as? [String: [String: [String: Any]]])
        #expect(object["tasks"]?["_0"]?["state"] as? String == "failed")
        #expect(object["tasks"]?["_0"]?["limit"] as? Int == 5)
    }

    @Test("refuses a QUERY that is not valid JSON, naming the frame")
    func malformedQuery() throws {
        let error = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtBroker([ClientProtocol.header, [0x03], Array("{nope".utf8)])
        }
        #expect(error.frame == 2)
        #expect(error.message.hasPrefix("QUERY is not a valid query"))
    }
}
