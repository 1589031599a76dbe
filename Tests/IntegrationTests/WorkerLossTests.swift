import CorsairTestSupport
import Foundation
import Testing

/// A busy worker killed with SIGKILL: the kernel closes its connection at once, the broker's ROUTER monitor reports
/// it, and the broker probes its workers, so the task runs on another worker milliseconds later instead of at the
/// next heartbeat. Twenty kills, each timed from the kill to the broker's dispatch of the second attempt.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(3)))
struct WorkerLossTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// How many busy workers are killed.
    static let kills = 20

    @Test("moves a SIGKILLed busy worker's task to another worker, 20 times, and prints how long it took")
    func killedWorkers() throws {
        defer { harness.shutdown() }
        // Default heartbeat (1 s) and liveness (3): without the probe, the broker would notice at its next heartbeat.
        let (broker, endpoint) = try harness.startBroker(["--log-level", "debug"])
        var workers: [String: ProcessHarness.Child] = [:]
        var startedWorkers = 0
        var delays: [Int64] = []
        for kill in 1...Self.kills {
            // Two idle workers: the one that gets the task and is killed, and the one the task moves to.
            while workers.count < 2 {
                startedWorkers += 1
                let id = "w\(startedWorkers)"
                workers[id] = try harness.start(
                    binary: "corsair-worker",
                    ["--broker", endpoint, "--category", "a", "--id", id, "--simulate", "1s"])
            }
            try harness.waitUntil("\(startedWorkers) workers join") {
                broker.errors.components(separatedBy: "worker joined").count - 1 >= startedWorkers
            }
            let task = String(format: "a%02d", kill)
            let client = try harness.start(
                binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: task)
            let victim = try dispatchedWorker(of: task, in: broker)
            let removed = workers.removeValue(forKey: victim)
            let child = try #require(removed, "task \(task) went to unknown worker \(victim)")
            let killed = Self.unixMilliseconds()
            child.send(SIGKILL)
            #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.errors)")
            let result = try #require(try ResultLine.parse(client.output).first, "no result for \(task)")
            #expect(result.status == "succeeded")
            #expect(result.attempts == 2, "task \(task) was not dispatched again")
            #expect(result.worker != victim)
            // The broker stamps `started` when it dispatches the attempt that succeeded: the second.
            delays.append(Int64(try #require(result.started)) - killed)
        }
        let unreachable = broker.errors.components(separatedBy: "reason=unreachable").count - 1
        let sorted = delays.sorted()
        print(
            "killedWorkers: \(Self.kills) SIGKILLs of busy workers, from the kill to the task dispatched to another "
                + "worker: p50 \(Self.percentile(0.50, of: sorted)) ms, p99 \(Self.percentile(0.99, of: sorted)) ms, "
                + "max \(sorted.last ?? 0) ms (all: \(delays)); \(unreachable) of the workers found by a failed send "
                + "(broker heartbeat 1 s, liveness 3)")
    }

    /// The worker the broker's debug log shows `task`'s first attempt dispatched to.
    private func dispatchedWorker(of task: String, in broker: ProcessHarness.Child) throws -> String {
        var worker: String?
        try harness.waitUntil("task \(task) is dispatched") {
            let line = broker.errors.split(separator: "\n").first {
                $0.contains("task dispatched") && $0.contains("task.id=\(task) ")
            }
            worker = line?.split(separator: " ").first { $0.hasPrefix("worker.id=") }.map {
                String($0.dropFirst("worker.id=".count))
            }
            return worker != nil
        }
        return try #require(worker)
    }

    /// The value at quantile `quantile` of `sorted` (nearest rank).
    static func percentile(_ quantile: Double, of sorted: [Int64]) -> Int64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((quantile * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Now, in Unix milliseconds, as the broker stamps a result's `started`.
    static func unixMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
