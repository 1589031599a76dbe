import CorsairTestSupport
import Foundation
import Testing

/// A detached batch survives its broker being killed again and again: the durable broker restarts on its journal,
/// the workers rejoin, and `corsair wait` reports every task once.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(3)))
struct DetachCrashTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// The broker on `endpoint` with `journal` (a file or a PostgreSQL address), heartbeating fast so workers and
    /// clients notice its death soon; on PostgreSQL with a short lease, which a restarted broker waits out.
    func broker(at endpoint: String, journal: String) throws -> ProcessHarness.Child {
        try harness.startBroker(at: endpoint, ["--journal", journal, "--heartbeat", "250ms", "--lease", "1s"])
    }

    @Test(
        "20 broker SIGKILLs during a detached 20 000-task batch on --exec workers: wait reports each id once",
        arguments: JournalStore.available)
    func brokerKilledTwentyTimes(store: JournalStore) throws {
        defer { harness.shutdown() }
        let seed = UInt64.random(in: 1...UInt64.max)
        print("brokerKilledTwentyTimes: seed \(seed)")
        var generator = SplitMix64(seed: seed)
        let endpoint = "tcp://127.0.0.1:\(try ProcessHarness.freePort())"
        let journal = try store.journal(harness, "crash")
        var broker = try broker(at: endpoint, journal: journal)
        let ran = harness.path("ran.txt").path
        for _ in 1...2 {
            try harness.startWorker(
                endpoint, category: "x",
                [
                    "--concurrency", "8", "--heartbeat", "250ms", "--exec", "--", "/bin/sh", "-c",
                    "echo \"$CORSAIR_TASK_ID\" >> \(ran)",
                ])
        }
        let ids = (1...20_000).map { "t\($0)" }
        let batch = harness.path("batch.jsonl")
        try ids.map { "{\"id\":\"\($0)\",\"category\":\"x\",\"payload\":\"\"}" }.joined(separator: "\n")
            .write(to: batch, atomically: true, encoding: .utf8)
        let detached = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--detach", "--batch", "crash", batch.path])
        #expect(detached.status == 0, "\(detached.errors)")
        #expect(detached.output == "crash\n")
        // One client follows the batch through every kill; another attaches once it is over.
        let follower = try harness.start(
            binary: "corsair", ["wait", "--broker", endpoint, "--json", "--connect-timeout", "20s", "crash"])
        for kill in 1...20 {
            usleep(UInt32.random(in: 200_000...1_200_000, using: &generator))
            broker.send(SIGKILL)
            #expect(broker.waitForExit() != nil, "kill \(kill)")
            broker = try self.broker(at: endpoint, journal: journal)
        }
        #expect(follower.waitForExit(timeout: .seconds(90)) == 0, "\(follower.errors)")
        try expectEachOnce(try ResultLine.parse(follower.output), ids: ids, who: "the follower")
        let after = try harness.run(binary: "corsair", ["wait", "--broker", endpoint, "--json", "crash"])
        #expect(after.status == 0, "\(after.errors)")
        try expectEachOnce(try ResultLine.parse(after.output), ids: ids, who: "a wait after the kills")
        let runs = try String(contentsOfFile: ran, encoding: .utf8).split(separator: "\n").map(String.init)
        let counts = Dictionary(runs.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(Set(counts.keys) == Set(ids), "every task ran")
        let again = counts.values.count { $0 > 1 }
        print("brokerKilledTwentyTimes: \(runs.count) runs of \(ids.count) tasks, \(again) ran more than once")
    }

    func expectEachOnce(_ results: [ResultLine], ids: [String], who: String) throws {
        #expect(results.count == ids.count, "\(who) reported \(results.count) results")
        #expect(Set(results.map(\.id)) == Set(ids), "\(who) reported each id")
        #expect(results.allSatisfy { $0.status == "succeeded" }, "\(who): every task succeeded")
    }
}
