import CorsairTestSupport
import Foundation
import Testing

/// De-duplication and `corsair tasks` after a restart that restores fewer finished tasks than the journal holds
/// (`--retain-finished 2`), with real processes: a resubmitted id runs no second time and the client gets its stored
/// result; the task list answers from the journal as the HTTP gateway does.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct JournalDedupTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// Ten tasks `t1`…`t10` of category `x` as JSON lines.
    private static let batch =
        (1...10).map { #"{"id":"t\#($0)","category":"x","payload":"p\#($0)"}"# }
        .joined(separator: "\n") + "\n"

    /// Runs `corsair submit --json` of ``batch`` as batch `dedup`, from `file` or (with `nil`) standard input,
    /// and returns the results it printed.
    private func submit(_ endpoint: String, file: String?) throws -> [ResultLine] {
        let outcome = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "dedup", "--json", file ?? "-"],
            input: file == nil ? Self.batch : nil)
        #expect(outcome.status == 0, "\(outcome.errors)")
        return try ResultLine.parse(outcome.output)
    }

    @Test("resubmitted after a restart, finished ids past --retain-finished run no second time; tasks lists them")
    func resubmitAfterRestart() throws {
        defer { harness.shutdown() }
        let endpoint = "tcp://127.0.0.1:\(try ProcessHarness.freePort())"
        let journal = harness.path("dedup.journal").path
        let broker = ["--journal", journal, "--retain-finished", "2"]
        let first = try harness.startBroker(at: endpoint, broker)
        let ran = harness.path("ran.txt").path
        let worker = [
            "--exec", "--", "/bin/sh", "-c", "echo \"$CORSAIR_TASK_ID\" >> \(ran); printf out-%s \"$CORSAIR_TASK_ID\"",
        ]
        try harness.startWorker(endpoint, category: "x", worker)
        let file = harness.path("dedup.jsonl")
        try Self.batch.write(to: file, atomically: true, encoding: .utf8)
        let ids = (1...10).map { "t\($0)" }
        #expect(try submit(endpoint, file: file.path).map(\.id).sorted() == ids.sorted())
        first.send(SIGKILL)
        first.waitForExit()

        _ = try harness.startBroker(at: endpoint, broker)
        let listed = try harness.run(
            binary: "corsair", ["tasks", "--broker", endpoint, "--batch", "dedup", "--json", "--limit", "100"])
        #expect(listed.status == 0, "\(listed.errors)")
        let tasks = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]] ?? []
        #expect(tasks.compactMap { $0["id"] as? String }.sorted() == ids.sorted(), "\(listed.output)")
        #expect(tasks.allSatisfy { $0["state"] as? String == "succeeded" })

        // Streamed (a JSON lines file to a durable broker), then held (standard input): both get stored results.
        for file in [file.path, nil] {
            let again = try submit(endpoint, file: file)
            #expect(again.map(\.id).sorted() == ids.sorted(), "submit \(file ?? "-")")
            #expect(again.allSatisfy { $0.status == "succeeded" && $0.result == "out-\($0.id)" })
        }
        let runs = try String(contentsOfFile: ran, encoding: .utf8).split(separator: "\n")
        #expect(runs.count == 10, "each task ran once: \(runs)")
    }
}
