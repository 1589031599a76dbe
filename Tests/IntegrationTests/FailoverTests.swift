import CorsairTestSupport
import Foundation
import Testing

/// Two brokers on one PostgreSQL journal, with real processes: one active, one standing by; the active one killed or
/// frozen mid-batch, and workers and a client that follow the takeover (`--broker a,b`).
@Suite(.serialized, .tags(.integration), .enabled(if: TestPostgres.enabled), .timeLimit(.minutes(2)))
struct FailoverTests {
    let harness: ProcessHarness
    let ids = (1...3000).map { "t\($0)" }
    /// Where the workers write each id they run.
    let ran: URL

    init() throws {
        harness = try ProcessHarness()
        ran = harness.path("ran.txt")
    }

    /// Starts broker A, then broker B on the same journal (with `standbyExtra` too), and waits until B stands by;
    /// returns both and their endpoints.
    private func pair(
        _ journal: String,
        _ extra: [String] = [],
        standbyExtra: [String] = []
    ) throws -> (ProcessHarness.Child, ProcessHarness.Child, String, String) {
        let (first, second) = (
            "tcp://127.0.0.1:\(try ProcessHarness.freePort())", "tcp://127.0.0.1:\(try ProcessHarness.freePort())"
        )
        let active = try harness.startBroker(at: first, ["--journal", journal] + extra)
        let standby = try harness.startBroker(at: second, ["--journal", journal] + extra + standbyExtra)
        try harness.waitUntil("the second broker stands by") { standby.errors.contains("standing by active=") }
        return (active, standby, first, second)
    }

    /// Two `--exec` workers of category `x` given both brokers, each writing the ids it ran to `ran.txt`; returns
    /// once the active broker at `active` routes them.
    private func workers(_ brokers: String, active: String, _ extra: [String] = []) throws {
        for _ in 1...2 {
            let worker = try harness.start(
                binary: "corsair-worker",
                ["--broker", brokers, "--category", "x", "--concurrency", "4"] + extra + [
                    "--exec", "--", "/bin/sh", "-c",
                    "sleep 0.005; echo \"$CORSAIR_TASK_ID\" >> \(ran.path)",
                ])
            try harness.waitUntilServed("x", at: active, by: worker)
        }
    }

    /// Submits the 3 000-task batch to `brokers`, following it; returns the client once it has results.
    private func submit(_ brokers: String) throws -> ProcessHarness.Child {
        let batch = harness.path("batch.jsonl")
        try ids.map { "{\"id\":\"\($0)\",\"category\":\"x\",\"payload\":\"\"}" }.joined(separator: "\n")
            .write(to: batch, atomically: true, encoding: .utf8)
        let client = try harness.start(binary: "corsair", ["submit", "--broker", brokers, "--json", batch.path])
        try harness.waitUntil("results come back") { client.output.split(separator: "\n").count >= 300 }
        return client
    }

    /// Expects every id reported once, succeeded; returns the results.
    @discardableResult
    private func expectEachOnce(_ client: ProcessHarness.Child) throws -> [ResultLine] {
        #expect(client.waitForExit(timeout: .seconds(60)) == 0, "\(client.errors.suffix(2000))")
        let results = try ResultLine.parse(client.output)
        #expect(results.count == ids.count, "reported \(results.count) results")
        #expect(Set(results.map(\.id)) == Set(ids), "every id reported")
        #expect(results.allSatisfy { $0.status == "succeeded" }, "every task succeeded")
        return results
    }

    @Test("a standby answers mmi.service and /healthz with 503 and the active broker's endpoint; corsair status too")
    func standbyAnswers() throws {
        defer { harness.shutdown() }
        let port = try ProcessHarness.freePort()
        let (_, _, active, standby) = try pair(
            try TestPostgres.journal("standby"), standbyExtra: ["--http", "127.0.0.1:\(port)"])
        #expect(try MDPProbe.mmiService("x", at: standby) == ["503", "standby, active is \(active)"])
        let status = try harness.run(binary: "corsair", ["status", "--broker", standby])
        #expect(status.status != 0)
        #expect(status.errors.contains("standby, active is \(active)"), "\(status.errors)")
        let either = try harness.run(binary: "corsair", ["status", "--broker", "\(standby),\(active)", "--json"])
        #expect(either.status == 0, "\(either.errors)")
        let health = try harness.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", "-c", Self.httpProbe, "http://127.0.0.1:\(port)/healthz"],
            timeout: .seconds(20))
        #expect(health.output.hasPrefix("503\n"), "\(health.output) \(health.errors)")
        #expect(health.output.contains("standby, active is \(active)"), "\(health.output)")
    }

    /// Prints an HTTP GET's status code, then its body, whatever the status (Python's standard library only).
    static let httpProbe = """
        import sys, urllib.request, urllib.error
        try:
            answer = urllib.request.urlopen(sys.argv[1], timeout=5)
            print(answer.status); print(answer.read().decode())
        except urllib.error.HTTPError as error:
            print(error.code); print(error.read().decode())
        """

    @Test(
        "the active broker SIGKILLed mid-batch at default timings: the standby takes over and every id comes back once")
    func activeKilled() throws {
        defer { harness.shutdown() }
        let port = try ProcessHarness.freePort()
        let (active, _, first, second) = try pair(
            try TestPostgres.journal("killed"), standbyExtra: ["--http", "127.0.0.1:\(port)"])
        let brokers = "\(first),\(second)"
        try workers(brokers, active: first)
        let client = try submit(brokers)
        let killed = UInt64(Date().timeIntervalSince1970 * 1000)
        active.send(SIGKILL)
        let results = try expectEachOnce(client)
        // The first attempt the new active broker started: its `started` is after the kill.
        let firstDispatch = results.compactMap(\.started).filter { $0 > killed }.min()
        let takeover = try #require(firstDispatch.map { $0 - Int(killed) }, "no attempt started after the kill")
        print("FailoverTests.activeKilled: \(takeover) ms from the SIGKILL to the first task the new active dispatched")
        #expect(takeover < 10_000)
        // The standby's 503 gave way to the gateway of the broker it became.
        let health = try harness.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", "-c", Self.httpProbe, "http://127.0.0.1:\(port)/healthz"],
            timeout: .seconds(20))
        #expect(health.output.hasPrefix("200\n"), "\(health.output) \(health.errors)")
    }

    @Test(
        "the active broker frozen (SIGSTOP) past its lease: the standby takes over; thawed, the old one is deposed and stands by"
    )
    func activeFrozen() throws {
        defer { harness.shutdown() }
        let (active, standby, first, second) = try pair(try TestPostgres.journal("frozen"), ["--heartbeat", "250ms"])
        let brokers = "\(first),\(second)"
        try workers(brokers, active: first, ["--heartbeat", "250ms"])
        let client = try submit(brokers)
        active.send(SIGSTOP)
        try harness.waitUntil("the standby takes over", timeout: .seconds(20)) {
            standby.errors.contains("took the journal's lease over")
        }
        active.send(SIGCONT)
        try harness.waitUntil("the old active is deposed and stands by", timeout: .seconds(20)) {
            active.errors.contains("deposed") && active.errors.components(separatedBy: "broker standing by").count > 1
        }
        try expectEachOnce(client)
        #expect(try MDPProbe.mmiService("x", at: first) == ["503", "standby, active is \(second)"])
        let runs = try String(contentsOf: ran, encoding: .utf8).split(separator: "\n")
        print("FailoverTests.activeFrozen: \(runs.count) runs of \(ids.count) tasks")
    }

    @Test("a bad PostgreSQL address is a usage error naming what is wrong, exit 64")
    func badAddress() throws {
        let bad = try harness.run(
            binary: "corsair-broker", ["--journal", "postgresql://corsair@127.0.0.1/"], timeout: .seconds(20))
        #expect(bad.status == 64)
        #expect(bad.errors.contains("--journal needs a database after the host"), "\(bad.errors)")
    }
}
