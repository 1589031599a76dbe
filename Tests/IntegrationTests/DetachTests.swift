import Corsair
import CorsairTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// `corsair submit --detach` and `corsair wait` against a real broker and workers; and the streaming client that
/// `corsair submit` uses against a durable broker, run here through the library.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct DetachTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// `n` calculator tasks `t1…tN` as JSON lines, each computing `i + 1`.
    func jsonLines(_ count: Int, from first: Int = 1) -> String {
        (first..<first + count).map { "{\"id\":\"t\($0)\",\"category\":\"calc\",\"payload\":\"\($0) + 1\"}" }
            .joined(separator: "\n") + "\n"
    }

    @Test("submit --detach prints the batch name once every task is accepted; wait prints each result once")
    func detachThenWait() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let batch = try harness.path("batch.jsonl")
        try jsonLines(200).write(to: batch, atomically: true, encoding: .utf8)
        let detached = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--detach", "--batch", "nightly", batch.path])
        #expect(detached.status == 0, "\(detached.errors)")
        #expect(detached.output == "nightly\n")
        try harness.startWorker(endpoint, category: "calc", ["--calc", "--concurrency", "4"])
        let waited = try harness.run(binary: "corsair", ["wait", "--broker", endpoint, "--json", "nightly"])
        #expect(waited.status == 0, "\(waited.errors)")
        let results = try ResultLine.parse(waited.output)
        #expect(results.map(\.id).sorted() == (1...200).map { "t\($0)" }.sorted())
        #expect(results.allSatisfy { $0.status == "succeeded" && $0.result == "\(Int($0.id.dropFirst())! + 1)" })
        let again = try harness.run(binary: "corsair", ["wait", "--broker", endpoint, "nightly"])
        #expect(again.status == 0, "\(again.errors)")
        #expect(again.output.contains("200 tasks: 200 succeeded, 0 failed, 0 unfinished"), "\(again.output)")
    }

    @Test("wait attached midway prints what finished, then the rest as it finishes, each once; exits 1 on a failure")
    func waitWhileRunning() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try harness.startWorker(endpoint, category: "a", ["--simulate", "20ms", "--concurrency", "4"])
        try harness.startWorker(endpoint, category: "calc", ["--calc"])
        let tokens = (1...150).map { "a\($0)" }.joined(separator: " ")
        let detached = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--detach", "--batch", "mixed", "-"], input: tokens)
        #expect(detached.status == 0, "\(detached.errors)")
        let broken = try harness.run(
            binary: "corsair",
            ["submit", "--broker", endpoint, "--detach", "--batch", "mixed", "--category", "calc", "-"],
            input: "1/0")
        #expect(broken.status == 0, "\(broken.errors)")
        let waited = try harness.run(binary: "corsair", ["wait", "--broker", endpoint, "--json", "mixed"])
        #expect(waited.status == 1, "a task failed: \(waited.errors)")
        let results = try ResultLine.parse(waited.output)
        #expect(results.count == 151)
        #expect(Set(results.map(\.id)).count == 151, "each result once")
        #expect(results.filter { $0.status == "failed" }.map(\.id) == ["1/0"])
    }

    @Test("wait for a batch the broker does not know, or past its timeout, exits 69 and says why")
    func waitFailures() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let unknown = try harness.run(binary: "corsair", ["wait", "--broker", endpoint, "nobody"])
        #expect(unknown.status == 69)
        #expect(unknown.errors.contains("the broker does not know batch 'nobody'"), "\(unknown.errors)")
        let detached = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--detach", "--batch", "idle", "-"], input: "z1 z2")
        #expect(detached.status == 0, "\(detached.errors)")
        let timedOut = try harness.run(
            binary: "corsair", ["wait", "--broker", endpoint, "--timeout", "500ms", "idle"])
        #expect(timedOut.status == 69)
        #expect(timedOut.errors.contains("timed out with 2 tasks unfinished"), "\(timedOut.errors)")
    }

    @Test("the streaming client keeps at most its window in flight and reports each of 5 000 results once")
    func streamingWindow() async throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try harness.startWorker(endpoint, category: "calc", ["--calc", "--concurrency", "8"])
        let tasks = (1...5000).map { TaskSpec(id: "t\($0)", category: "calc", payload: Array("\($0) * 2".utf8)) }
        var options = SessionClient.Options(broker: endpoint, session: Array("windowed".utf8), mode: .submit)
        options.window = 100
        let seen = Seen()
        try await SessionClient(options: options, logger: Logger(label: "test")).run(ArrayTaskSource(tasks)) {
            event in
            seen.record(event)
        }
        let (ids, maxUnfinished) = seen.snapshot
        #expect(ids.count == 5000)
        #expect(Set(ids).count == 5000, "each result once")
        #expect(maxUnfinished <= 100, "the broker never held more than the window: \(maxUnfinished)")
    }
}

/// What a streaming client reported, gathered from its thread.
private final class Seen: Sendable {
    private let state = Mutex<(ids: [String], maxUnfinished: UInt64)>(([], 0))

    func record(_ event: SessionClient.Event) {
        guard case .results(let results, let unfinished) = event else { return }
        state.withLock {
            $0.ids += results.map(\.id)
            $0.maxUnfinished = max($0.maxUnfinished, unfinished)
        }
    }

    var snapshot: (ids: [String], maxUnfinished: UInt64) { state.withLock { $0 } }
}
