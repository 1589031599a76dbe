import CorsairTestSupport
import Foundation
import Testing

/// The durable broker with real processes: recovery after SIGKILL, and each journal fault with its message and exit
/// code.
@Suite(.tags(.integration), .timeLimit(.minutes(2)))
struct JournalTests {
    /// A JSON lines batch of `count` tasks of category `category`, ids `t1`…
    private static func batch(_ count: Int, category: String = "sim", payload: String = "x") -> String {
        (1...count).map { #"{"id":"t\#($0)","category":"\#(category)","payload":"\#(payload)"}"# }
            .joined(separator: "\n") + "\n"
    }

    /// How many tasks of batch `batch` the broker at `endpoint` lists in `state` (or in any state).
    private static func count(
        _ harness: ProcessHarness,
        at endpoint: String,
        batch: String,
        state: String? = nil
    ) throws -> Int {
        let outcome = try harness.run(
            binary: "corsair",
            ["tasks", "--broker", endpoint, "--batch", batch, "--json", "--limit", "100000"]
                + (state.map { ["--state", $0] } ?? []))
        guard outcome.status == 0 else { return -1 }
        let listed = try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [Any]
        return listed?.count ?? -1
    }

    @Test("a broker SIGKILLed with queued and running tasks takes them back on restart and every task completes")
    func restartRecovery() throws {
        let harness = try ProcessHarness()
        let journal = harness.path("broker.journal").path
        let endpoint = "tcp://127.0.0.1:\(try ProcessHarness.freePort())"
        let first = try harness.startBroker(at: endpoint, ["--journal", journal])
        try harness.startWorker(endpoint, category: "sim", ["--simulate", "200ms", "--concurrency", "2"])
        let file = harness.path("night.jsonl")
        try Self.batch(30).write(to: file, atomically: true, encoding: .utf8)
        let client = try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "night", "--json", file.path])
        try harness.waitUntil("the broker holds all 30 tasks") {
            try Self.count(harness, at: endpoint, batch: "night") == 30
        }
        #expect(try Self.count(harness, at: endpoint, batch: "night", state: "running") > 0)
        #expect(try Self.count(harness, at: endpoint, batch: "night", state: "queued") > 0)
        client.send(SIGKILL)
        first.send(SIGKILL)
        first.waitForExit()

        let second = try harness.startBroker(at: endpoint, ["--journal", journal])
        try harness.waitUntil("every task of the batch succeeded", timeout: .seconds(40)) {
            try Self.count(harness, at: endpoint, batch: "night", state: "succeeded") == 30
        }
        #expect(second.errors.contains("journal.tasks=30"))
    }

    @Test("a second broker on the same journal is refused with exit 73, naming the path and the holder's pid")
    func secondBroker() throws {
        let harness = try ProcessHarness()
        let journal = harness.path("shared.journal").path
        let (first, _) = try harness.startBroker(["--journal", journal])
        let second = try harness.run(
            binary: "corsair-broker", ["--bind", "tcp://127.0.0.1:*", "--journal", journal], timeout: .seconds(20))
        #expect(second.status == 73)
        #expect(second.errors.contains(journal))
        #expect(second.errors.contains("pid \(first.pid)"))
    }

    @Test("a journal in a missing directory is refused with exit 73, naming the directory")
    func missingDirectory() throws {
        let harness = try ProcessHarness()
        let journal = harness.directory.appendingPathComponent("missing/corsair.journal").path
        let outcome = try harness.run(
            binary: "corsair-broker", ["--bind", "tcp://127.0.0.1:*", "--journal", journal], timeout: .seconds(20))
        #expect(outcome.status == 73)
        #expect(outcome.errors.contains(journal) && outcome.errors.contains("does not exist"))
    }

    @Test("a corrupt journal is refused with exit 74 and says how to recover")
    func corruptJournal() throws {
        let harness = try ProcessHarness()
        let journal = harness.path("corrupt.journal")
        try Data(repeating: 0x5a, count: 16_384).write(to: journal)
        let outcome = try harness.run(
            binary: "corsair-broker", ["--bind", "tcp://127.0.0.1:*", "--journal", journal.path],
            timeout: .seconds(20))
        #expect(outcome.status == 74)
        #expect(outcome.errors.contains(journal.path) && outcome.errors.contains(".recover"))
    }

    @Test("--journal none keeps everything in memory and writes no file")
    func noJournal() throws {
        let harness = try ProcessHarness()
        let directory = harness.path("cwd")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let broker = try harness.start(
            ProcessHarness.productsDirectory.appendingPathComponent("corsair-broker"),
            [
                "--bind", "tcp://127.0.0.1:*", "--journal", "none", "--endpoint-file",
                directory.appendingPathComponent("e").path,
            ])
        try harness.waitUntil("the broker listens") {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("e").path)
        }
        broker.send(SIGTERM)
        #expect(broker.waitForExit() == 0)
        #expect(broker.errors.contains("broker listening"))
        #expect(!broker.errors.contains("journal="))
    }
}
