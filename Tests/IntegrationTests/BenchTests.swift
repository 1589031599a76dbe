import CorsairTestSupport
import Foundation
import Testing

/// `corsair-bench` end to end on a small run: every figure it promises is there and consistent. No timing is asserted.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct BenchTests {
    @Test(
        "reports throughput, latency, broker CPU and memory against the zmq_proxy baseline as JSON",
        arguments: [["--mode", "credit", "--submit", "batch"], ["--mode", "plain", "--submit", "single"]])
    func smallRun(mode: [String]) throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let run = try harness.run(
            binary: "corsair-bench",
            ["--tasks", "2000", "--window", "100", "--workers", "2", "--runs", "1", "--json"] + mode,
            timeout: .seconds(90))
        #expect(run.status == 0, "\(run.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        for key in [
            "tasks_per_second", "baseline_round_trips_per_second", "ratio", "p50_us", "p99_us", "p999_us",
            "baseline_p50_us", "baseline_p99_us", "broker_peak_rss_mb", "p50_ratio", "p99_ratio",
        ] {
            let value = try #require(report[key] as? Double, "missing \(key)")
            #expect(value > 0, "\(key) = \(value)")
        }
        let perSecond = try #require(report["tasks_per_second"] as? Double)
        let baseline = try #require(report["baseline_round_trips_per_second"] as? Double)
        let ratio = try #require(report["ratio"] as? Double)
        #expect(abs(ratio - perSecond / baseline) < 0.01 + ratio * 0.01)
        let p50Ratio = try #require(report["p50_ratio"] as? Double)
        let p50 = try #require(report["p50_us"] as? Double)
        let baselineP50 = try #require(report["baseline_p50_us"] as? Double)
        #expect(abs(p50Ratio - p50 / baselineP50) < 0.01 + p50Ratio * 0.01)
        #expect(try #require(report["p99_us"] as? Double) >= (try #require(report["p50_us"] as? Double)))
        #expect(report["broker_cpu_us_per_task"] is Double)
        #expect(report["tasks"] as? Int == 2000)
    }

    @Test(
        "measures a preloaded queue, idle workers' CPU past 1 023 sockets, a late batch, and many clients at once",
        arguments: [
            (
                ["--preload", "2000", "--tasks", "3000"],
                [
                    "queued_rss_mb", "dispatch_tasks_per_second", "dispatch_broker_cpu_us_per_task",
                    "dispatch_queued_median", "dispatch_queued_min",
                ]
            ),
            (["--idle-workers", "1200"], ["broker_cpu_percent"]),
            (
                ["--late-batch", "10", "--tasks", "3000", "--window", "500"],
                [
                    "late_batch_ms", "big_batch_tasks_per_second_alone", "big_batch_tasks_per_second_with_late",
                    "big_batch_throughput_ratio",
                ]
            ),
            (
                ["--clients", "300", "--tasks-per-client", "10"],
                ["all_results_ms", "results_per_second", "broker_cpu_us_per_task", "broker_peak_rss_mb"]
            ),
        ])
    func scale(arguments: [String], keys: [String]) throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let run = try harness.run(
            binary: "corsair-bench", ["--runs", "1", "--workers", "2", "--json"] + arguments, timeout: .seconds(90))
        #expect(run.status == 0, "\(run.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        for key in keys {
            let value = try #require(report[key] as? Double, "missing \(key) in \(report)")
            #expect(value >= 0)
        }
        if let memory = report["queued_rss_mb"] as? Double {
            #expect(memory > 1, "a broker holding 2000 tasks uses more than a megabyte")
        }
        if let fewest = report["dispatch_queued_min"] as? Double,
            let median = report["dispatch_queued_median"] as? Double
        {
            #expect(fewest <= median)
            #expect(median <= 2000 + 2 * 250 + 3000, "no more than all the tasks submitted wait")
        }
        if arguments.contains("--clients") {
            #expect(report["clients"] as? Int == 300, "over two socket threads of 250 clients at most")
            #expect(report["tasks_per_client"] as? Int == 10)
            #expect(try #require(report["all_results_ms"] as? Double) > 0)
            #expect(try #require(report["broker_peak_rss_mb"] as? Double) > 1)
        }
    }

    @Test(
        "sends a window or a batch of 1 MiB tasks that together pass the broker's 16 MiB message limit",
        arguments: [
            ["--window", "17", "--tasks", "34"],
            ["--clients", "2", "--tasks-per-client", "17"],
        ])
    func largeTasks(arguments: [String]) throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let run = try harness.run(
            binary: "corsair-bench", ["--bytes", "1048576", "--workers", "2", "--runs", "1", "--json"] + arguments,
            timeout: .seconds(90))
        #expect(run.status == 0, "\(run.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let key = arguments.contains("--clients") ? "results_per_second" : "tasks_per_second"
        #expect(try #require(report[key] as? Double, "missing \(key) in \(report)") > 0)
    }

    @Test("kills every process it started when interrupted, and exits with 128 plus the signal's number")
    func interrupted() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let bench = try harness.start(
            binary: "corsair-bench", ["--tasks", "1000000", "--window", "1", "--workers", "2", "--runs", "1"])
        var children: [Int32] = []
        defer {
            // Should the bench leave them behind, they are this test's to stop.
            for child in children where Self.isAlive(child) {
                kill(child, SIGKILL)
            }
        }
        try harness.waitUntil("the bench has started a broker and two workers", timeout: .seconds(60)) {
            children = Self.liveChildren(of: bench.pid)
            return children.count == 3
        }
        bench.send(SIGINT)
        #expect(bench.waitForExit(timeout: .seconds(10)) == 128 + SIGINT, "\(bench.errors)")
        #expect(bench.errors.contains("interrupted by SIGINT; killed the 3 processes it had started"))
        #expect(children.filter(Self.isAlive).isEmpty, "left running: \(children.filter(Self.isAlive))")
    }

    /// The processes whose parent is `parent` and that have not exited, from `/proc`.
    private static func liveChildren(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            isAlive(pid) && statFields(of: pid)?.dropFirst().first == "\(parent)"
        }
    }

    /// Whether `pid` exists and is not a zombie.
    private static func isAlive(_ pid: Int32) -> Bool {
        guard let state = statFields(of: pid)?.first else { return false }
        return state != "Z"
    }

    /// The fields of `/proc/PID/stat` after the command name: state, parent, …
    private static func statFields(of pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    @Test("lives apart from the user's CLI: corsair's help lists no bench, and corsair-bench's none of its peers")
    func help() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let corsair = try harness.run(binary: "corsair", ["--help"])
        #expect(corsair.status == 0)
        #expect(corsair.output.contains("submit"), "\(corsair.output)")
        #expect(!corsair.output.contains("bench"), "\(corsair.output)")
        let bench = try harness.run(binary: "corsair-bench", ["--help"])
        #expect(bench.status == 0)
        #expect(bench.output.contains("--idle-workers"), "\(bench.output)")
        #expect(!bench.output.contains("peer"), "\(bench.output)")
        #expect(!bench.output.contains("subcommand"), "\(bench.output)")
    }

    @Test("refuses a window of zero, payloads too small for the task number and no clients")
    func usage() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let window = try harness.run(binary: "corsair-bench", ["--window", "0"])
        #expect(window.status == 64)
        #expect(window.errors.contains("--window must be at least 1"))
        let bytes = try harness.run(binary: "corsair-bench", ["--bytes", "4"])
        #expect(bytes.status == 64)
        #expect(bytes.errors.contains("--bytes must be at least 8"))
        let clients = try harness.run(binary: "corsair-bench", ["--clients", "0"])
        #expect(clients.status == 64)
        #expect(clients.errors.contains("--clients must be in 1…5000"))
    }
}
