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

    @Test(
        "a broker SIGKILLed with queued and running tasks takes them back on restart and every task completes",
        arguments: JournalStore.available)
    func restartRecovery(store: JournalStore) throws {
        let harness = try ProcessHarness()
        let journal = try store.journal(harness, "broker")
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

    /// Submits `count` tasks of a category no worker serves as batch `name`, detached, and requires them accepted.
    private static func submitDetached(
        _ harness: ProcessHarness, to endpoint: String, _ name: String, count: Int
    ) throws {
        let file = harness.path("\(name).jsonl")
        try Self.batch(count, category: "nobody").write(to: file, atomically: true, encoding: .utf8)
        let outcome = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", name, "--detach", file.path])
        try #require(outcome.status == 0, "\(outcome.errors)")
    }

    /// The path of the newest segment of the log of the journal at `journal`.
    private static func newestSegment(of journal: URL) throws -> URL {
        let directory = journal.deletingLastPathComponent()
        let name = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix(journal.lastPathComponent + "-log-") }.sorted().last
        return directory.appendingPathComponent(try #require(name))
    }

    @Test("a broker SIGKILLed mid-commit (a torn frame ends its log) restarts, cuts it off, and keeps every task")
    func tornCommit() throws {
        let harness = try ProcessHarness()
        let journal = harness.path("torn.journal")
        let endpoint = "tcp://127.0.0.1:\(try ProcessHarness.freePort())"
        // `normal`: no zeros are written ahead of the frames, so the torn frame goes at the end of the file.
        let first = try harness.startBroker(at: endpoint, ["--journal", journal.path, "--journal-sync", "normal"])
        try Self.submitDetached(harness, to: endpoint, "torn", count: 40)
        first.send(SIGKILL)
        first.waitForExit()
        // The start of a frame whose write the kill cut short.
        let segment = try FileHandle(forWritingTo: try Self.newestSegment(of: journal))
        try segment.seekToEnd()
        try segment.write(contentsOf: Array("CRLG".utf8) + [0x40, 0, 0, 0, 1, 0, 0])
        try segment.close()

        let second = try harness.startBroker(at: endpoint, ["--journal", journal.path, "--journal-sync", "normal"])
        #expect(second.errors.contains("journal repaired at open") && second.errors.contains("journal.tasks=40"))
        #expect(try Self.count(harness, at: endpoint, batch: "torn", state: "queued") == 40)
    }

    @Test("a broker whose log is damaged before its last commit refuses to start with exit 74, naming the segment")
    func damagedLog() throws {
        let harness = try ProcessHarness()
        let journal = harness.path("damaged.journal")
        let endpoint = "tcp://127.0.0.1:\(try ProcessHarness.freePort())"
        let first = try harness.startBroker(at: endpoint, ["--journal", journal.path])
        try Self.submitDetached(harness, to: endpoint, "first", count: 20)
        try Self.submitDetached(harness, to: endpoint, "second", count: 20)
        first.send(SIGKILL)
        first.waitForExit()
        let path = try Self.newestSegment(of: journal)
        let segment = try FileHandle(forWritingTo: path)
        try segment.seek(toOffset: 40)
        try segment.write(contentsOf: [0xEE, 0xEE])
        try segment.close()

        let outcome = try harness.run(
            binary: "corsair-broker", ["--bind", "tcp://127.0.0.1:*", "--journal", journal.path],
            timeout: .seconds(20))
        #expect(outcome.status == 74)
        #expect(outcome.errors.contains(path.lastPathComponent) && outcome.errors.contains("damaged at byte 0"))
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

    @Test("a journal named by one character, relative to the working directory, opens there and keeps its tasks")
    func oneCharacterName() throws {
        // swift-corelibs-foundation's `NSString.deletingLastPathComponent` traps on a one-character path: this broker
        // crashed at start with SIGILL (FilePath+Directory.swift).
        let harness = try ProcessHarness()
        harness.workingDirectory = harness.directory
        let (broker, endpoint) = try harness.startBroker(["--journal", "j"])
        try Self.submitDetached(harness, to: endpoint, "short", count: 3)
        broker.send(SIGTERM)
        #expect(broker.waitForExit() == 0)
        let (restarted, again) = try harness.startBroker(["--journal", "j"])
        defer { restarted.send(SIGKILL) }
        #expect(try Self.count(harness, at: again, batch: "short") == 3)
        #expect(FileManager.default.fileExists(atPath: harness.directory.appendingPathComponent("j").path))
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
