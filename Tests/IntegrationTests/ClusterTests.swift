import CorsairTestSupport
import Foundation
import Testing

extension Tag {
    @Tag static var integration: Self
}

/// One line of `corsair submit --json`.
struct ResultLine {
    let id: String
    let category: String
    let status: String
    let attempts: Int
    let worker: String?
    let started: Int?
    let finished: Int
    let result: String?
    let error: String?

    static func parse(_ output: String) throws -> [ResultLine] {
        try output.split(separator: "\n").map { line in
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
            return ResultLine(
                id: try #require(object["id"] as? String), category: try #require(object["category"] as? String),
                status: try #require(object["status"] as? String), attempts: try #require(object["attempts"] as? Int),
                worker: object["worker"] as? String, started: object["started"] as? Int,
                finished: try #require(object["finished"] as? Int), result: object["result"] as? String,
                error: object["error"] as? String)
        }
    }
}

@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct ClusterTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// Starts a worker and waits until the broker routes its category.
    @discardableResult
    func worker(_ endpoint: String, _ category: String, _ arguments: [String]) throws -> ProcessHarness.Child {
        try harness.startWorker(endpoint, category: category, arguments)
    }

    @Test("names the socket threads so top -H and perf show broker-io and worker-io")
    func threadNames() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        let worker = try harness.startWorker(endpoint, category: "a", ["--echo"])
        func threadNames(_ child: ProcessHarness.Child) throws -> [String] {
            let tasks = "/proc/\(child.pid)/task"
            return try FileManager.default.contentsOfDirectory(atPath: tasks).map {
                try String(contentsOfFile: "\(tasks)/\($0)/comm", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        #expect(try threadNames(broker).contains("broker-io"))
        #expect(try threadNames(worker).contains("worker-io"))
    }

    @Test("runs the seed batch through a, b and c workers in submission order per category")
    func seedBatch() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        for category in ["a", "b", "c"] {
            try worker(endpoint, category, ["--simulate", "50ms"])
        }
        let seed = "a1 a2 c1 b1 c2 b3 b2 b4 a3"
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: seed)
        #expect(run.status == 0, "\(run.errors)")
        let results = try ResultLine.parse(run.output)
        #expect(results.map(\.id).sorted() == seed.split(separator: " ").map(String.init).sorted())
        #expect(results.allSatisfy { $0.status == "succeeded" && $0.attempts == 1 && $0.worker != nil })
        #expect(results.allSatisfy { $0.result == "\($0.id) completed" })
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0) })
        for category in ["a", "b", "c"] {
            let submitted = seed.split(separator: " ").map(String.init).filter { $0.hasPrefix(category) }
            let starts = submitted.compactMap { byID[$0]?.started }
            #expect(starts.count == submitted.count)
            #expect(starts == starts.sorted(), "category \(category) started out of order: \(zip(submitted, starts))")
            // One worker, one task at a time: each starts no earlier than the previous one finished.
            for (previous, next) in zip(submitted, submitted.dropFirst()) {
                let nextStarted = try #require(byID[next]?.started, "\(next) has no start time")
                let previousFinished = try #require(byID[previous]?.finished, "\(previous) has no result")
                #expect(nextStarted >= previousFinished)
            }
        }
    }

    @Test("finishes a batch exactly once per task when the broker is killed and restarted mid-batch")
    func brokerRestart() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        try worker(endpoint, "a", ["--simulate", "200ms", "--concurrency", "2"])
        let ids = (1...8).map { "a\($0)" }
        let client = try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: ids.joined(separator: " "))
        try harness.waitUntil("the first results arrive") { client.output.contains("\"id\"") }
        broker.send(SIGKILL)
        #expect(broker.waitForExit() != nil)
        let restarted = try harness.startBroker(at: endpoint)
        #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.errors)")
        let results = try ResultLine.parse(client.output)
        #expect(results.map(\.id).sorted() == ids.sorted(), "each task reported exactly once")
        #expect(results.allSatisfy { $0.status == "succeeded" })
        #expect(restarted.errors.contains("tasks accepted"), "the client resubmitted to the new broker")
    }

    @Test("keeps heartbeating while a task runs longer than the broker's liveness window")
    func heartbeatsWhileBusy() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker(["--heartbeat", "200ms", "--liveness", "5"])
        try worker(endpoint, "slow", ["--heartbeat", "200ms", "--simulate", "2500ms"])
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json"], input: "slow1")
        #expect(run.status == 0, "\(run.errors)")
        #expect(try ResultLine.parse(run.output).map(\.attempts) == [1])
        #expect(broker.errors.contains("worker joined"), "the broker logs at info: \(broker.errors)")
        #expect(!broker.errors.contains("worker left"), "the busy worker was dropped: \(broker.errors)")
    }

    @Test("prints a table of results and exits 0 when every task succeeds")
    func humanTable() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try worker(endpoint, "a", ["--echo"])
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint], input: "a1 a2 a1")
        #expect(run.status == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ID") == true)
        #expect(lines.contains { $0.hasPrefix("a1#2 ") })
        #expect(lines.last == "3 tasks: 3 succeeded, 0 failed, 0 unfinished")
    }

    @Test("binds every --bind endpoint and lists each in the endpoint file")
    func severalEndpoints() throws {
        defer { harness.shutdown() }
        let endpointFile = harness.path("endpoints")
        let broker = try harness.start(
            binary: "corsair-broker",
            [
                "--bind", "tcp://127.0.0.1:*", "--bind", "ipc://\(harness.path("broker.ipc").path)", "--endpoint-file",
                endpointFile.path,
            ])
        var endpoints: [String] = []
        try harness.waitUntil("the broker writes its endpoints") {
            endpoints = ((try? String(contentsOf: endpointFile, encoding: .utf8)) ?? "").split(separator: "\n").map(
                String.init)
            return endpoints.count == 2 || !broker.process.isRunning
        }
        try #require(endpoints.count == 2, "the broker wrote \(endpoints): \(broker.errors)")
        let tcp = try #require(endpoints.first)
        let ipc = try #require(endpoints.last)
        #expect(tcp.hasPrefix("tcp://127.0.0.1:"))
        #expect(ipc.hasPrefix("ipc://"))
        // A worker on one endpoint and a client on the other meet in the same broker.
        try worker(ipc, "a", ["--echo"])
        let run = try harness.run(binary: "corsair", ["submit", "--broker", tcp, "--json"], input: "a1")
        #expect(try ResultLine.parse(run.output).map(\.result) == ["a1"])
    }

    @Test("serves several categories from one worker, one connection each")
    func severalCategories() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        try worker(endpoint, "a", ["--category", "b", "--echo", "--id", "both"])
        try harness.waitUntil("the worker serves b too") { try MDPProbe.hasWorkers("b", at: endpoint) }
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json"], input: "a1 b1")
        #expect(run.status == 0, "\(run.errors)")
        #expect(try ResultLine.parse(run.output).allSatisfy { $0.worker == "both" })
        #expect(broker.errors.components(separatedBy: "worker joined").count == 3)
    }

    @Test("fails simulated tasks at the --fail-rate and reports the last reason after every attempt")
    func simulatedFailures() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try worker(endpoint, "a", ["--simulate", "10ms", "--fail-rate", "1"])
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json"], input: "a1 a2")
        #expect(run.status == 1)
        let results = try ResultLine.parse(run.output)
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0.status == "failed" && $0.attempts == 3 })
        #expect(
            results.allSatisfy { $0.error?.hasPrefix("simulated failure (after 3 attempts)\nattempt 1 on ") == true })
        #expect(results.allSatisfy { $0.error?.split(separator: "\n").count == 4 }, "the reason, then each attempt")
    }

    @Test("requeues a task past --task-timeout to another worker, and fails it when its attempts run out")
    func taskTimeout() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker(["--task-timeout", "500ms", "--max-attempts", "2"])
        try worker(endpoint, "slow", ["--simulate", "5s", "--id", "first"])
        try worker(endpoint, "slow", ["--simulate", "5s", "--id", "second"])
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json"], input: "slow1")
        #expect(run.status == 1)
        let result = try #require(try ResultLine.parse(run.output).first)
        let lines = result.error?.split(separator: "\n").map(String.init) ?? []
        #expect(lines.first == "timeout (after 2 attempts)")
        #expect(
            Set(lines.dropFirst()) == ["attempt 1 on first: timeout", "attempt 2 on second: timeout"]
                || Set(lines.dropFirst()) == ["attempt 1 on second: timeout", "attempt 2 on first: timeout"])
        #expect(result.attempts == 2)
        #expect(broker.errors.contains("reason=timeout"))
        #expect(
            broker.errors.components(separatedBy: "task requeued").count == 2, "one requeue, then the final failure")
    }

    @Test("fails a task whose category gets no worker within --queue-timeout, and runs --ordered categories in order")
    func queueTimeoutAndOrder() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker(["--queue-timeout", "300ms", "--ordered", "a"])
        try worker(endpoint, "a", ["--simulate", "20ms", "--concurrency", "4"])
        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--json"], input: "a1 a2 a3 a4 z1")
        #expect(run.status == 1)
        let results = Dictionary(uniqueKeysWithValues: try ResultLine.parse(run.output).map { ($0.id, $0) })
        #expect(results["z1"]?.error == "no_worker: no worker for category 'z' within 300ms")
        let starts = ["a1", "a2", "a3", "a4"].compactMap { results[$0]?.started }
        let ends = ["a1", "a2", "a3", "a4"].compactMap { results[$0]?.finished }
        #expect(starts.count == 4)
        #expect(zip(ends, starts.dropFirst()).allSatisfy { $0 <= $1 }, "ordered tasks overlapped: \(starts) \(ends)")
    }

    @Test("evaluates arithmetic with --calc and fails a division by zero with a clear message")
    func calculator() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try worker(endpoint, "calc", ["--calc"])
        let batch = """
            {"id": "good", "category": "calc", "payload": "4 * (2 + 3)"}
            {"id": "zero", "category": "calc", "payload": "1 / 0"}
            {"id": "junk", "category": "calc", "payload": "2 +"}
            """
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json"], input: batch)
        #expect(run.status == 1)
        let results = Dictionary(uniqueKeysWithValues: try ResultLine.parse(run.output).map { ($0.id, $0) })
        #expect(results["good"]?.result == "20")
        #expect(results["zero"]?.status == "failed")
        #expect(results["zero"]?.error?.contains("division by zero") == true)
        #expect(results["zero"]?.attempts == 1)
        #expect(results["junk"]?.error?.contains("column 4") == true)
    }

    @Test("runs a program per task with --exec: stdin in, stdout out, non-zero exit fails with stderr's tail")
    func exec() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker(["--max-attempts", "2"])
        try worker(endpoint, "up", ["--exec", "--", "tr", "a-z", "A-Z"])
        try worker(endpoint, "bad", ["--exec", "--", "sh", "-c", "cat >/dev/null; echo broken pipe dream >&2; exit 3"])
        let batch = """
            {"id": "u1", "category": "up", "payload": "hello"}
            {"id": "b1", "category": "bad", "payload": "x"}
            """
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json"], input: batch)
        #expect(run.status == 1)
        let results = Dictionary(uniqueKeysWithValues: try ResultLine.parse(run.output).map { ($0.id, $0) })
        #expect(results["u1"]?.result == "HELLO")
        #expect(results["b1"]?.status == "failed")
        #expect(results["b1"]?.attempts == 2)
        #expect(results["b1"]?.error?.contains("exited with status 3: broken pipe dream") == true)
    }

    @Test("rejects a malformed batch before sending anything, naming line and column")
    func malformedBatch() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint], input: "a1 a2\nb1 7x\n")
        #expect(run.status == 65)
        #expect(run.errors.contains("line 2, column 4"))
        #expect(run.errors.contains("7x"))
        #expect(broker.errors.contains("broker listening"), "the broker logs at info: \(broker.errors)")
        #expect(!broker.errors.contains("tasks accepted"))
    }

    @Test("exits 69 when no broker answers")
    func brokerUnavailable() throws {
        defer { harness.shutdown() }
        let port = try ProcessHarness.freePort()
        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", "tcp://127.0.0.1:\(port)", "--connect-timeout", "500ms"],
            input: "a1")
        #expect(run.status == 69)
        #expect(run.errors.contains("did not answer"))
    }

    @Test("gives up after --timeout with exit 69, listing the unfinished ids")
    func batchTimeout() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try worker(endpoint, "slow", ["--simulate", "30s", "--concurrency", "1"])
        try worker(endpoint, "fast", ["--echo"])
        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--timeout", "1s", "--json", "-"],
            input: #"{"id": "s1", "category": "slow", "payload": ""}"# + "\n"
                + #"{"id": "f1", "category": "fast", "payload": ""}"#)
        #expect(run.status == 69)
        #expect(run.errors.contains("timed out with 1 task unfinished: s1"), "\(run.errors)")
        #expect(try ResultLine.parse(run.output).map(\.id) == ["f1"])
    }

    @Test("rejects bad command lines with exit 64 and says why")
    func usageErrors() throws {
        defer { harness.shutdown() }
        let noHandler = try harness.run(binary: "corsair-worker", ["--category", "a"])
        #expect(noHandler.status == 64)
        #expect(noHandler.errors.contains("exactly one handler"))
        let badDuration = try harness.run(binary: "corsair-broker", ["--heartbeat", "soon"])
        #expect(badDuration.status == 64)
        let badBind = try harness.run(binary: "corsair-broker", ["--bind", "nonsense://x"])
        #expect(badBind.status == 64)
        let badWorkerEndpoint = try harness.run(
            binary: "corsair-worker", ["--broker", "nowhere", "--category", "a", "--echo"])
        #expect(badWorkerEndpoint.status == 64)
        #expect(badWorkerEndpoint.errors.contains("zmq_connect(nowhere)"))
        let badClientEndpoint = try harness.run(binary: "corsair", ["submit", "--broker", "nowhere"], input: "a1")
        #expect(badClientEndpoint.status == 64)
        let overWire = try harness.run(binary: "corsair-broker", ["--max-message-size", "4G"])
        #expect(overWire.status == 64)
        #expect(overWire.errors.contains("1024…4294967295 bytes"), "\(overWire.errors)")
        let badSize = try harness.run(binary: "corsair-broker", ["--max-message-size", "16Q"])
        #expect(badSize.status == 64)
        #expect(badSize.errors.contains("'16Q' has unknown unit 'Q'"), "\(badSize.errors)")
        let badResultSize = try harness.run(binary: "corsair-worker", ["--echo", "--max-result-size", "x"])
        #expect(badResultSize.status == 64)
        #expect(badResultSize.errors.contains("'x' does not start with a whole number"), "\(badResultSize.errors)")
    }

    @Test("writes one JSON object per event to --log-file with --log-format json")
    func jsonLogFile() throws {
        defer { harness.shutdown() }
        let logFile = harness.path("broker.log")
        let (broker, endpoint) = try harness.startBroker(["--log-file", logFile.path, "--log-format", "json"])
        try worker(endpoint, "a", ["--echo", "--id", "logged"])
        broker.send(SIGTERM)
        #expect(broker.waitForExit() == 0)
        let lines = try String(contentsOf: logFile, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])
        }
        #expect(objects.first?["message"] == "broker listening")
        #expect(objects.contains { $0["message"] == "worker joined" && $0["worker.id"] == "logged" })
        #expect(objects.allSatisfy { $0["time"]?.hasSuffix("Z") == true && $0["label"] == "corsair.broker" })
        #expect(broker.errors.isEmpty, "with --log-file nothing goes to stderr")
    }

    @Test("shows status, workers and tasks of a running cluster, as tables and as JSON")
    func statusCommands() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker(["--ordered", "calc"])
        try worker(endpoint, "calc", ["--calc", "--id", "calculator"])
        let batch = """
            {"id": "ok", "category": "calc", "payload": "1 + 1"}
            {"id": "bad", "category": "calc", "payload": "1 / 0"}
            {"id": "waiting", "category": "nobody", "payload": "x"}
            """
        let submit = try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: batch)
        try harness.waitUntil("two results arrive") { submit.output.split(separator: "\n").count == 2 }

        let status = try harness.run(binary: "corsair", ["status", "--broker", endpoint, "--json"])
        #expect(status.status == 0, "\(status.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        #expect(
            object["tasks"] as? [String: Int] == [
                "scheduled": 0, "queued": 1, "running": 0, "succeeded": 1, "failed": 1, "cancelled": 0,
            ])
        let categories = try #require(object["categories"] as? [[String: Any]])
        #expect(categories.contains { $0["name"] as? String == "calc" && $0["ordered"] as? Bool == true })
        #expect(categories.contains { $0["name"] as? String == "nobody" && $0["queued"] as? Int == 1 })

        let table = try harness.run(binary: "corsair", ["status", "--broker", endpoint])
        #expect(table.output.contains("tasks: 0 scheduled, 1 queued, 0 running, 1 succeeded, 1 failed, 0 cancelled"))
        let workers = try harness.run(binary: "corsair", ["workers", "--broker", endpoint])
        let row = try #require(workers.output.split(separator: "\n").first { $0.hasPrefix("calculator ") })
        #expect(row.contains("corsair/1"))
        let failed = try harness.run(binary: "corsair", ["tasks", "--broker", endpoint, "--state", "failed", "--json"])
        let tasks = try #require(try JSONSerialization.jsonObject(with: Data(failed.output.utf8)) as? [[String: Any]])
        #expect(tasks.map { $0["id"] as? String } == ["bad"])
        #expect((tasks.first?["lastError"] as? String)?.contains("division by zero") == true)
        let unreachable = try harness.run(
            binary: "corsair",
            ["status", "--broker", "tcp://127.0.0.1:\(try ProcessHarness.freePort())", "--timeout", "300ms"])
        #expect(unreachable.status == 69)
        submit.send(SIGKILL)
    }

    @Test("stops cleanly on SIGTERM: the worker sends DISCONNECT and both exit 0")
    func cleanStop() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        let worker = try worker(endpoint, "a", ["--echo"])
        worker.send(SIGTERM)
        #expect(worker.waitForExit() == 0)
        try harness.waitUntil("the broker drops the worker") { !(try MDPProbe.hasWorkers("a", at: endpoint)) }
        #expect(broker.errors.contains("reason=disconnected"))
        broker.send(SIGTERM)
        #expect(broker.waitForExit() == 0)
    }
}
