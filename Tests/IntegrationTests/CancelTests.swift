import CorsairTestSupport
import Foundation
import Testing

/// `corsair cancel` and delayed tasks with real processes: a cancelled `--exec` task's processes are gone and its
/// client exits 1; a delayed task runs at its time, not before.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct CancelTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// Starts `corsair submit --json` of `lines` in batch `batch` without waiting for it.
    func submit(_ endpoint: String, batch: String, _ lines: [String]) throws -> ProcessHarness.Child {
        try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--json", "--batch", batch, "-"],
            input: lines.joined(separator: "\n"))
    }

    /// The tasks `corsair tasks` lists in `state`, as JSON objects.
    func tasks(_ endpoint: String, state: String) throws -> [[String: Any]] {
        let run = try harness.run(binary: "corsair", ["tasks", "--broker", endpoint, "--state", state, "--json"])
        #expect(run.status == 0, "\(run.errors)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[String: Any]])
    }

    @Test("a running --exec task cancelled: its child and grandchild are killed, it is cancelled, submit exits 1")
    func cancelRunningExec() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker(["--task-timeout", "60s"])
        let marker = "\(Int.random(in: 10_000...99_999))"
        let script = "case $CORSAIR_TASK_ID in l1) sleep \(marker).7 & sleep \(marker).8;; esac; echo done"
        let worker = try harness.startWorker(endpoint, category: "c", ["--exec", "--", "sh", "-c", script])
        try harness.waitUntilServed("c", at: endpoint, by: worker)
        let client = try submit(endpoint, batch: "long", [#"{"id": "l1", "category": "c", "payload": ""}"#])
        try harness.waitUntil("the command and its background child run") {
            try ExecTests.isRunning("^sleep \(marker).7$") && ExecTests.isRunning("^sleep \(marker).8$")
        }

        let cancel = try harness.run(binary: "corsair", ["cancel", "--broker", endpoint, "--batch", "long", "l1"])
        #expect(cancel.status == 0, "\(cancel.errors)")
        #expect(cancel.output.contains("cancelled (was running)"), "\(cancel.output)")

        #expect(client.waitForExit(timeout: .seconds(20)) == 1, "\(client.errors)")
        let result = try #require(try ResultLine.parse(client.output).first)
        #expect(result.status == "cancelled")
        #expect(result.error == "cancelled while running")
        try harness.waitUntil("the command's whole process group is gone") {
            try !ExecTests.isRunning("^sh -c case .*\(marker)") && !ExecTests.isRunning("^sleep \(marker).7$")
                && !ExecTests.isRunning("^sleep \(marker).8$")
        }
        #expect(try tasks(endpoint, state: "cancelled").map { $0["id"] as? String } == ["l1"])
        // The worker lives and takes the next task in the slot the cancelled one had.
        let next = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"],
            input: #"{"id": "n1", "category": "c", "payload": ""}"#, timeout: .seconds(30))
        #expect(next.status == 0, "\(next.errors)")
        #expect(try ResultLine.parse(next.output).first?.result == "done\n")
        #expect(worker.process.isRunning, "\(worker.errors)")
    }

    @Test("a delayed task is scheduled, not run before its time, and run after it")
    func delayedTask() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let worker = try harness.startWorker(endpoint, category: "d", ["--echo"])
        try harness.waitUntilServed("d", at: endpoint, by: worker)
        let submitted = UInt64(Date().timeIntervalSince1970 * 1000)
        let client = try submit(
            endpoint, batch: "later",
            [
                #"{"id": "late", "category": "d", "payload": "x", "delay": "3s"}"#,
                #"{"id": "now", "category": "d", "payload": "y"}"#,
            ])
        try harness.waitUntil("the delayed task is listed as scheduled") {
            try tasks(endpoint, state: "scheduled").map { $0["id"] as? String } == ["late"]
        }
        #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.errors)")
        let results = Dictionary(try ResultLine.parse(client.output).map { ($0.id, $0) }) { first, _ in first }
        let late = try #require(results["late"])
        let started = UInt64(try #require(late.started))
        #expect(late.status == "succeeded")
        #expect(started >= submitted + 3000, "started \(started - submitted) ms after submission")
        #expect(started < submitted + 6000, "started \(started - submitted) ms after submission")
        #expect(UInt64(try #require(results["now"]?.started)) < submitted + 3000)
    }

    /// Runs `corsair COMMAND ARGUMENTS…` against `endpoint` and expects exit status `status`.
    @discardableResult
    func corsair(
        _ command: String, _ arguments: [String], at endpoint: String, status: Int32, input: String? = nil
    ) throws -> ProcessHarness.Outcome {
        let run = try harness.run(binary: "corsair", [command, "--broker", endpoint] + arguments, input: input)
        #expect(run.status == status, "corsair \(command) \(arguments): \(run.output) \(run.errors)")
        return run
    }

    @Test("a detached batch cancelled with --all: wait reports each task cancelled and exits 1, also after a restart")
    func cancelDetached() throws {
        defer { harness.shutdown() }
        let journal = harness.path("parked.journal").path
        let (broker, endpoint) = try harness.startBroker(["--journal", journal])
        let detached = try corsair(
            "submit", ["--detach", "--batch", "parked", "--category", "nobody", "-"], at: endpoint, status: 0,
            input: "x1 x2 x3")
        #expect(detached.output == "parked\n")
        let cancel = try corsair("cancel", ["--batch", "parked", "--all"], at: endpoint, status: 0)
        #expect(cancel.output.contains("3 of 3 cancelled"), "\(cancel.output)")

        let waited = try corsair("wait", ["--json", "parked"], at: endpoint, status: 1)
        let results = try ResultLine.parse(waited.output)
        #expect(results.map(\.id).sorted() == ["x1", "x2", "x3"])
        #expect(results.allSatisfy { $0.status == "cancelled" && $0.error == "cancelled while queued" })
        #expect(try tasks(endpoint, state: "cancelled").count == 3)

        broker.process.terminate()
        #expect(broker.waitForExit() == 0, "\(broker.errors)")
        try harness.startBroker(at: endpoint, ["--journal", journal])
        let table = try corsair("wait", ["parked"], at: endpoint, status: 1)
        #expect(table.output.contains("3 tasks: 0 succeeded, 0 failed, 3 cancelled, 0 unfinished"), "\(table.output)")
    }

    @Test("a batch streamed to a durable broker: its cancelled tasks are reported and submit exits 1")
    func cancelStreamed() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let worker = try harness.startWorker(endpoint, category: "d", ["--echo"])
        try harness.waitUntilServed("d", at: endpoint, by: worker)
        let file = try harness.path("streamed.jsonl")
        try [
            #"{"id": "s1", "category": "nobody", "payload": "x"}"#,
            #"{"id": "s2", "category": "d", "payload": "y", "delay": "60s"}"#,
            #"{"id": "s3", "category": "d", "payload": "z"}"#,
        ].joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let client = try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--json", "--batch", "flow", file.path])
        try harness.waitUntil("s1 is queued and s2 scheduled") {
            try tasks(endpoint, state: "queued").map { $0["id"] as? String } == ["s1"]
                && tasks(endpoint, state: "scheduled").map { $0["id"] as? String } == ["s2"]
        }
        let cancel = try corsair("cancel", ["--batch", "flow", "s1", "s2", "nope"], at: endpoint, status: 1)
        #expect(cancel.output.contains("cancelled (was queued)"), "\(cancel.output)")
        #expect(cancel.output.contains("cancelled (was scheduled)"), "\(cancel.output)")
        #expect(cancel.output.contains("not found"), "\(cancel.output)")

        #expect(client.waitForExit(timeout: .seconds(20)) == 1, "\(client.errors)")
        let results = Dictionary(try ResultLine.parse(client.output).map { ($0.id, $0.status) }) { first, _ in first }
        #expect(results == ["s1": "cancelled", "s2": "cancelled", "s3": "succeeded"])
    }
}
