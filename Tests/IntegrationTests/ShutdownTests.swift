import CorsairTestSupport
import Foundation
import Testing

/// `corsair shutdown` against real processes: workers stop for good and exit 0, and the broker stops after them
/// unless told otherwise.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct ShutdownTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// Waits until the broker at `endpoint` lists task `id` in `state`.
    func waitUntil(_ id: String, is state: String, at endpoint: String) throws {
        try harness.waitUntil("\(id) is \(state)") {
            let run = try harness.run(binary: "corsair", ["tasks", "--broker", endpoint, "--state", state, "--json"])
            return run.output.contains(#""id" : "\#(id)""#)
        }
    }

    @Test("without --category: the workers finish their task, exit 0 and stay away, then the broker exits 0")
    func wholeCluster() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        let slow = try harness.startWorker(endpoint, category: "a", ["--simulate", "1500ms", "--id", "slow"])
        let echo = try harness.startWorker(endpoint, category: "b", ["--echo", "--id", "quick"])
        let submit = try harness.start(binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: "a1")
        try waitUntil("a1", is: "running", at: endpoint)

        let started = ContinuousClock.now
        let stop = try harness.run(binary: "corsair", ["shutdown", "--broker", endpoint, "--wait"])
        #expect(stop.status == 0, "\(stop.errors)")
        #expect(stop.output.contains("asked 2 worker connection(s) to stop, finishing their tasks first"))
        #expect(stop.output.contains("the broker stops once they have left"))
        for child in [slow, echo, broker] {
            #expect(child.waitForExit(timeout: .seconds(10)) == 0, "\(child.errors)")
        }
        print("corsair shutdown --wait returned, all three processes exited, in \(ContinuousClock.now - started)")
        #expect(submit.waitForExit(timeout: .seconds(10)) == 0, "\(submit.errors)")
        #expect(try ResultLine.parse(submit.output).map(\.status) == ["succeeded"], "a1 finished before the stop")
        #expect(slow.errors.contains("broker asked this worker to shut down"))
        #expect(slow.errors.components(separatedBy: "connecting to broker").count == 2, "connected once, never again")
        #expect(broker.errors.contains("every worker told to shut down has left"))
    }

    @Test("--category --now hands the running task back uncounted and keeps the broker; --workers-only stops the rest")
    func categoryThenWorkersOnly() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        let sloth = try harness.startWorker(endpoint, category: "a", ["--simulate", "60s", "--id", "sloth"])
        let other = try harness.startWorker(endpoint, category: "b", ["--echo", "--id", "other"])
        let submit = try harness.start(binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: "a1")
        try waitUntil("a1", is: "running", at: endpoint)

        let stop = try harness.run(binary: "corsair", ["shutdown", "--broker", endpoint, "--category", "a", "--now"])
        #expect(stop.status == 0, "\(stop.errors)")
        #expect(stop.output.contains("asked 1 worker connection(s) to stop, handing their tasks back: sloth"))
        #expect(sloth.waitForExit(timeout: .seconds(10)) == 0, "\(sloth.errors)")
        try waitUntil("a1", is: "queued", at: endpoint)
        #expect(broker.process.isRunning && other.process.isRunning, "a category shutdown stops only that category")

        let fresh = try harness.startWorker(endpoint, category: "a", ["--echo", "--id", "fresh"])
        #expect(submit.waitForExit(timeout: .seconds(20)) == 0, "\(submit.errors)")
        let result = try #require(try ResultLine.parse(submit.output).first)
        #expect(result.worker == "fresh")
        #expect(result.attempts == 1, "the handed-back attempt is not counted")

        let rest = try harness.run(binary: "corsair", ["shutdown", "--broker", endpoint, "--workers-only", "--wait"])
        #expect(rest.status == 0, "\(rest.errors)")
        #expect(rest.output.contains("the broker keeps running"))
        for child in [other, fresh] {
            #expect(child.waitForExit(timeout: .seconds(10)) == 0, "\(child.errors)")
        }
        let status = try harness.run(binary: "corsair", ["status", "--broker", endpoint, "--json"])
        #expect(status.status == 0, "the broker still answers: \(status.errors)")
        #expect(broker.process.isRunning)
    }
}
