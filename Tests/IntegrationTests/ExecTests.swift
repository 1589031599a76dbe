import CorsairTestSupport
import Foundation
import Testing

/// `--exec` commands that misbehave cannot take their worker down: each test checks that the worker stays up and that
/// every task gets its true outcome on its first attempt, with a reason that names the cause.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct ExecTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// A JSON line for task `id` of category `c` with a payload of `bytes` bytes.
    static func task(_ id: String, bytes: Int = 0) -> String {
        #"{"id": "\#(id)", "category": "c", "payload": "\#(String(repeating: "x", count: bytes))"}"#
    }

    /// Submits `tasks` (JSON lines) and returns the results by id.
    func submit(_ endpoint: String, _ tasks: [String]) throws -> [String: ResultLine] {
        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: tasks.joined(separator: "\n"),
            timeout: .seconds(90))
        let results = try ResultLine.parse(run.output)
        #expect(results.count == tasks.count, "\(run.errors)")
        return Dictionary(results.map { ($0.id, $0) }) { first, _ in first }
    }

    /// A worker's peak resident memory (VmHWM), in bytes.
    static func peakMemory(of worker: ProcessHarness.Child) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(worker.pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ").dropFirst().first ?? ""))
        return kilobytes * 1024
    }

    /// Whether a process whose command line is exactly `pattern` (a regular expression) is running.
    static func isRunning(_ pattern: String) throws -> Bool {
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        pgrep.arguments = ["-f", pattern]
        pgrep.standardOutput = FileHandle.nullDevice
        try pgrep.run()
        pgrep.waitUntilExit()
        return pgrep.terminationStatus == 0
    }

    @Test("a command that exits without reading a 1 MiB payload succeeds, and the worker lives")
    func ignoredInput() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let worker = try harness.startWorker(endpoint, category: "c", ["--exec", "--", "true"])
        let results = try submit(endpoint, [Self.task("big", bytes: 1 << 20), Self.task("small", bytes: 10)])
        for id in ["big", "small"] {
            #expect(results[id]?.status == "succeeded", "\(String(describing: results[id]))")
            #expect(results[id]?.attempts == 1)
        }
        #expect(worker.process.isRunning, "\(worker.errors)")
    }

    @Test("a command that writes 400 MB is killed at the result limit and fails once with result_too_large")
    func hugeOutput() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker(["--max-message-size", "4000000"])
        let worker = try harness.startWorker(
            endpoint, category: "c", ["--concurrency", "2", "--exec", "--", "sh", "-c", "yes | head -c 400000000"])
        let results = try submit(endpoint, [Self.task("h1"), Self.task("h2")])
        for id in ["h1", "h2"] {
            let result = try #require(results[id])
            #expect(result.status == "failed")
            #expect(result.attempts == 1)
            let error = result.error ?? ""
            #expect(
                error.hasPrefix("result_too_large: 'sh -c yes | head -c 400000000' wrote more than 3998976 bytes"),
                "\(error)")
        }
        #expect(worker.process.isRunning, "\(worker.errors)")
        let peak = try Self.peakMemory(of: worker)
        print("hugeOutput: worker peak RSS \(peak / 1_000_000) MB with concurrency 2 and a 3998976-byte result limit")
        #expect(peak < 2 * 4_000_000 + 100_000_000)
    }

    @Test("a command that leaves a background child holding its pipes ends 250 ms after it exits, with its output")
    func backgroundChild() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker(["--task-timeout", "20s"])
        let marker = "\(Int.random(in: 10_000...99_999)).5"
        let worker = try harness.startWorker(
            endpoint, category: "c", ["--exec", "--", "sh", "-c", "sleep \(marker) & echo hi"])
        let started = ContinuousClock.now
        let results = try submit(endpoint, [Self.task("b1", bytes: 100)])
        let elapsed = ContinuousClock.now - started
        let result = try #require(results["b1"])
        #expect(result.status == "succeeded")
        #expect(result.result == "hi\n")
        #expect(result.attempts == 1)
        #expect(elapsed < .seconds(5), "took \(elapsed)")
        try harness.waitUntil("the background sleep is killed with the process group") {
            try !Self.isRunning("^sleep \(marker)$")
        }
        #expect(worker.process.isRunning, "\(worker.errors)")
    }

    @Test("memory and CPU limits, a fresh working directory and an allow-listed environment per attempt")
    func limitsAndIsolation() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker(["--max-attempts", "1"])
        let root = harness.path("workdirs")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let script = harness.path("limits.sh")
        try """
        case "$CORSAIR_TASK_ID" in
        alloc) x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo "${#x}" ;;
        spin) while :; do :; done ;;
        where) touch left-behind; pwd; env | grep -v '^PWD=' | sort ;;
        esac
        """.write(to: script, atomically: true, encoding: .utf8)
        let worker = try harness.startWorker(
            endpoint, category: "c",
            [
                "--exec", "--exec-memory-limit", "64M", "--exec-cpu-limit", "1s", "--exec-workdir", root.path,
                "--exec-env", "PATH", "--", "sh", script.path,
            ])
        let results = try submit(endpoint, ["alloc", "spin", "where"].map { Self.task($0) })
        let alloc = try #require(results["alloc"])
        #expect(alloc.status == "failed")
        let allocError = alloc.error ?? ""
        #expect(allocError.contains("limited to 67108864 bytes (--exec-memory-limit)"), "\(allocError)")
        let spin = try #require(results["spin"])
        #expect(spin.status == "failed")
        let spinError = spin.error ?? ""
        #expect(spinError.contains("(SIGXCPU); over its CPU time limit of 1s (--exec-cpu-limit)"), "\(spinError)")
        let lines = try #require(results["where"]?.result).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix(root.path + "/task-") == true, "\(lines)")
        let names = lines.dropFirst().map { String($0.prefix { $0 != "=" }) }
        #expect(names == ["CORSAIR_ATTEMPT", "CORSAIR_DEADLINE", "CORSAIR_TASK_ID", "PATH"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty, "each directory is removed")
        #expect(worker.process.isRunning, "\(worker.errors)")
    }
}
