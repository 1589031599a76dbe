import CorsairTestSupport
import Foundation
import Testing

/// 500 tasks drawn at random from misbehaving `--exec` commands, with payloads from nothing to 8 MiB, on two workers
/// running 4 tasks each: no worker dies, every task reports once with the outcome its command implies, and each
/// worker's peak memory stays under its concurrency times the result limit plus 100 MB.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct ExecRandomTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// What a task's command does (the script reads its task id); `expectation` checks the reported result.
    enum Behaviour: String, CaseIterable {
        case echo, count, exit3, signal, huge, stderrOnly, stderrFailure, ignoreInput, sleeper, holder

        /// The branch of the script for this behaviour.
        var script: String {
            switch self {
            case .echo: "cat"
            case .count: "wc -c | tr -d ' '"
            case .exit3: "exit 3"
            case .signal: "kill -TERM $$"
            case .huge: "yes | head -c 400000000"
            case .stderrOnly: "head -c 100000 /dev/zero | tr '\\0' e >&2"
            case .stderrFailure: "head -c 100000 /dev/zero | tr '\\0' e >&2; echo tail-marker >&2; exit 1"
            case .ignoreInput: "exit 0"
            case .sleeper: "sleep 30 & echo hi"
            case .holder: "( sleep 30; echo late ) >&2 & echo early"
            }
        }
    }

    /// A payload size: mostly small, some up to 1 MiB, a few up to 8 MiB (the first task's is 8 MiB, the second's
    /// empty, so both ends are always there). Few are large, to keep the run short.
    static func payloadSize(task index: Int, _ generator: inout SplitMix64) -> Int {
        if index <= 2 {
            return index == 1 ? 8 << 20 : 0
        }
        return switch Int.random(in: 0..<1000, using: &generator) {
        case 0..<100: 0
        case 100..<860: Int.random(in: 1...65_536, using: &generator)
        case 860..<985: Int.random(in: 65_537...(1 << 20), using: &generator)
        default: Int.random(in: (1 << 20)...(8 << 20), using: &generator)
        }
    }

    static let resultLimit = 1 << 20

    /// Checks `result` against what `behaviour` implies for a payload of `size` bytes.
    static func check(_ result: ResultLine, _ behaviour: Behaviour, size: Int) {
        let error = result.error ?? ""
        let context: Comment = "\(result.id) (\(behaviour), \(size) bytes): \(result.status) \(error.prefix(200))"
        #expect(result.attempts == 1, context)
        switch behaviour {
        case .echo where size > resultLimit, .huge:
            #expect(result.status == "failed" && error.hasPrefix("result_too_large: "), context)
            #expect(error.contains("more than \(resultLimit) bytes"), context)
        case .echo:
            #expect(result.status == "succeeded" && result.result?.utf8.count == size, context)
        case .count:
            #expect(result.status == "succeeded" && result.result == "\(size)\n", context)
        case .exit3:
            #expect(result.status == "failed" && error.contains("exited with status 3"), context)
        case .signal:
            #expect(result.status == "failed" && error.contains("was killed by signal 15 (SIGTERM)"), context)
        case .stderrOnly, .ignoreInput:
            #expect(result.status == "succeeded" && result.result == "", context)
        case .stderrFailure:
            #expect(result.status == "failed" && error.contains("eeeetail-marker"), context)
        case .sleeper:
            #expect(result.status == "succeeded" && result.result == "hi\n", context)
        case .holder:
            #expect(result.status == "succeeded" && result.result == "early\n", context)
        }
    }

    @Test("500 misbehaving tasks with payloads up to 8 MiB on two workers: no worker dies, each task reports once")
    func randomMisbehaviour() throws {
        defer { harness.shutdown() }
        let seed = UInt64.random(in: 1...UInt64.max)
        print("randomMisbehaviour: seed \(seed)")
        var generator = SplitMix64(seed: seed)
        let (broker, endpoint) = try harness.startBroker([
            "--max-message-size", "\(9 << 20)", "--max-attempts", "1", "--task-timeout", "30s",
        ])
        let script = harness.path("behaviours.sh")
        let branches = Behaviour.allCases.map { "\($0.rawValue)-*) \($0.script) ;;" }
        try (["case \"$CORSAIR_TASK_ID\" in"] + branches + ["esac"]).joined(separator: "\n")
            .write(to: script, atomically: true, encoding: .utf8)
        let arguments = [
            "--concurrency", "4", "--max-result-size", "\(Self.resultLimit)", "--exec", "--", "sh", script.path,
        ]
        let workers = try (1...2).map { index in
            try harness.startWorker(endpoint, category: "c", ["--id", "w\(index)"] + arguments)
        }
        var expected: [String: (Behaviour, Int)] = [:]
        var lines: [String] = []
        for index in 1...500 {
            let behaviour = Behaviour.allCases.randomElement(using: &generator) ?? .echo
            let size = Self.payloadSize(task: index, &generator)
            let id = "\(behaviour.rawValue)-\(index)"
            expected[id] = (behaviour, size)
            lines.append(#"{"id": "\#(id)", "category": "c", "payload": "\#(String(repeating: "x", count: size))"}"#)
        }
        print("randomMisbehaviour: \(expected.values.reduce(0) { $0 + $1.1 } / 1_000_000) MB of payload")
        let started = ContinuousClock.now
        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: lines.joined(separator: "\n"),
            timeout: .seconds(100))
        print("randomMisbehaviour: 500 tasks in \(ContinuousClock.now - started)")
        let results = try ResultLine.parse(run.output)
        #expect(results.count == 500, "\(run.errors)")
        #expect(Set(results.map(\.id)) == Set(expected.keys), "every task reports exactly once")
        for result in results {
            guard let (behaviour, size) = expected[result.id] else { continue }
            Self.check(result, behaviour, size: size)
        }
        let bound = 4 * Self.resultLimit + 100_000_000
        for worker in workers {
            #expect(worker.process.isRunning, "\(worker.errors)")
            let peak = try ExecTests.peakMemory(of: worker)
            print(
                "randomMisbehaviour: worker \(worker.pid) peak RSS \(peak / 1_000_000) MB, bound \(bound / 1_000_000) MB"
            )
            #expect(peak < bound)
        }
        #expect(!broker.errors.contains("worker left"), "\(broker.errors)")
    }
}
