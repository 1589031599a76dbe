import CorsairTestSupport
import Foundation
import Testing

/// Interoperability with MDP/0.2 peers no one here wrote (majortomo, from PyPI) and with a strict RFC 18 client.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct InteropTests {
    let harness: ProcessHarness

    init() throws {
        try Python.requireMajortomo()
        harness = try ProcessHarness()
    }

    @Test("a majortomo worker serves a category of our broker")
    func majortomoWorkerUnderOurBroker() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let worker = try Python.start(
            harness, ["-m", "majortomo.echo", "-b", endpoint, "-n", "echo", "worker", "-i", "1"])
        try harness.waitUntilServed("echo", at: endpoint, by: worker)
        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--category", "echo", "--json"], input: "x1 x2 x3")
        #expect(run.status == 0, "\(run.errors)")
        let results = try ResultLine.parse(run.output)
        #expect(Set(results.compactMap(\.result)) == ["x1", "x2", "x3"])
    }

    @Test("a majortomo client is served by our broker and our worker")
    func majortomoClientThroughOurBroker() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try harness.startWorker(endpoint, category: "calc", ["--calc"])
        let client = try Python.start(
            harness,
            [Python.peers.appendingPathComponent("majortomo_client.py").path, endpoint, "calc", "4 * (2 + 3)", "7 / 2"])
        #expect(client.waitForExit() == 0, "\(client.errors)")
        #expect(client.output == "20\n3.5\n")
    }

    @Test("our worker serves under a majortomo broker")
    func ourWorkerUnderMajortomoBroker() throws {
        defer { harness.shutdown() }
        let endpoint = "tcp://127.0.0.1:\(try ProcessHarness.freePort())"
        let broker = try Python.start(harness, ["-m", "majortomo.broker", "-b", endpoint, "-i", "1", "-t", "3"])
        try harness.waitUntil("the majortomo broker listens") { broker.errors.contains("Broker listening") }
        let worker = try harness.start(
            binary: "corsair-worker", ["--broker", endpoint, "--category", "calc", "--calc", "--concurrency", "4"])
        let client = try Python.start(
            harness,
            [Python.peers.appendingPathComponent("majortomo_client.py").path, endpoint, "calc", "4 * (2 + 3)", "2 - 5"])
        #expect(client.waitForExit() == 0, "\(client.errors)")
        #expect(client.output == "20\n-3\n")
        #expect(worker.errors.contains("connecting to broker"), "the worker logs at info: \(worker.errors)")
        #expect(!worker.errors.contains("corsair/1"), "a plain MDP broker must not see the extension accepted")
    }

    @Test("an RFC 18 client with 200 requests in flight on one socket gets every reply, each a task listed and counted")
    func rfc18ClientManyInFlight() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        try harness.startWorker(endpoint, category: "echo", ["--echo", "--concurrency", "8"])
        let client = try Python.start(
            harness, [Python.peers.appendingPathComponent("rfc18_client.py").path, endpoint, "echo", "200"])
        #expect(client.waitForExit() == 0, "\(client.errors)")
        #expect(client.output == "ok 200\n")
        let status = try harness.run(binary: "corsair", ["status", "--broker", endpoint, "--json"])
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        #expect(counts["submitted"] as? Int == 200 && counts["succeeded"] as? Int == 200, "\(status.output)")
        let tasks = try harness.run(binary: "corsair", ["tasks", "--broker", endpoint, "--json", "--limit", "300"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(tasks.output.utf8)) as? [[String: Any]])
        #expect(listed.count == 200, "\(tasks.output.prefix(500))")
        #expect(
            listed.allSatisfy {
                $0["category"] as? String == "echo" && $0["state"] as? String == "succeeded"
                    && ($0["client"] as? String)?.hasPrefix("mdp:") == true
            })
    }
}
