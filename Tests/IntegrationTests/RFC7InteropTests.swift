import CorsairTestSupport
import Foundation
import Testing

/// MDP/0.1 (ZeroMQ RFC 7) peers beside MDP/0.2 ones: our Python ports of the Guide's mdcliapi and mdwrkapi
/// (`Peers/mdp01_client.py`, `Peers/mdp01_worker.py`) against the real broker, client and worker binaries.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct RFC7InteropTests {
    let harness: ProcessHarness

    init() throws {
        try Python.requireMajortomo()
        harness = try ProcessHarness()
    }

    /// Starts an MDP/0.1 worker for `category`, heartbeating every `heartbeat` seconds.
    func startWorker01(
        _ endpoint: String,
        category: String,
        tag: String? = nil,
        heartbeat: String = "1",
        _ arguments: [String] = []
    ) throws -> ProcessHarness.Child {
        let tagged = tag.map { ["--tag", $0] } ?? []
        return try Python.start(
            harness,
            [Python.peers.appendingPathComponent("mdp01_worker.py").path, "--heartbeat", heartbeat] + tagged
                + arguments + [endpoint, category], name: "mdp01-worker-\(tag ?? category)")
    }

    @Test("a corsair batch and an RFC 18 client are served by an MDP/0.1 worker, listed as mdp/0.1")
    func zeroOneWorkerServesZeroTwoClients() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let worker = try startWorker01(endpoint, category: "echo")
        try harness.waitUntilServed("echo", at: endpoint, by: worker)

        let listed = try harness.run(binary: "corsair", ["workers", "--broker", endpoint, "--json"])
        #expect(listed.status == 0, "\(listed.errors)")
        let workers = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]], "\(listed.output)")
        #expect(workers.map { $0["protocol"] as? String } == ["mdp/0.1"])

        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--category", "echo", "--json"], input: "x1 x2 x3")
        #expect(run.status == 0, "\(run.errors)")
        #expect(Set(try ResultLine.parse(run.output).compactMap(\.result)) == ["x1", "x2", "x3"])

        let client = try Python.start(
            harness, [Python.peers.appendingPathComponent("rfc18_client.py").path, endpoint, "echo", "20"])
        #expect(client.waitForExit() == 0, "\(client.errors)")
        #expect(client.output == "ok 20\n")
    }

    @Test("an MDP/0.1 client is served by an MDP/0.1 worker and by a corsair-worker")
    func zeroOneClient() throws {
        defer { harness.shutdown() }
        let (_, endpoint) = try harness.startBroker()
        let worker = try startWorker01(endpoint, category: "old", tag: "w01")
        try harness.waitUntilServed("old", at: endpoint, by: worker)
        try harness.startWorker(endpoint, category: "echo", ["--echo"])

        let viaREQ = try Python.start(
            harness, [Python.peers.appendingPathComponent("mdp01_client.py").path, endpoint, "old", "a", "b"])
        #expect(viaREQ.waitForExit() == 0, "\(viaREQ.errors)")
        #expect(viaREQ.output == "w01:a\nw01:b\n")

        let viaDEALER = try Python.start(
            harness,
            [Python.peers.appendingPathComponent("mdp01_client.py").path, "--dealer", endpoint, "echo", "c", "d"])
        #expect(viaDEALER.waitForExit() == 0, "\(viaDEALER.errors)")
        #expect(viaDEALER.output == "c\nd\n")
    }

    @Test("the request of an MDP/0.1 worker SIGKILLed mid-request runs on another worker")
    func killedZeroOneWorker() throws {
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker(["--heartbeat", "200ms", "--liveness", "3"])
        let victim = try startWorker01(endpoint, category: "a", tag: "victim", heartbeat: "0.2", ["--sleep", "60"])
        try harness.waitUntilServed("a", at: endpoint, by: victim)
        let client = try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--category", "a", "--json"], input: "k1")
        try harness.waitUntil("the victim runs k1") { victim.output.contains("request k1") }
        _ = try startWorker01(endpoint, category: "a", tag: "survivor", heartbeat: "0.2")
        try harness.waitUntil("two workers join") {
            broker.errors.components(separatedBy: "worker joined").count - 1 >= 2
        }
        let killed = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        victim.send(SIGKILL)
        #expect(client.waitForExit(timeout: .seconds(30)) == 0, "\(client.errors)")
        let result = try #require(try ResultLine.parse(client.output).first)
        #expect(result.result == "survivor:k1")
        #expect(result.attempts == 2)
        #expect(broker.errors.contains("reason=worker_lost"), "the broker found the worker gone, not the timeout")
        let started = try #require(result.started)
        print(
            "killedZeroOneWorker: \(Int64(started) - killed) ms from SIGKILL to the request running on another "
                + "MDP/0.1 worker (broker heartbeat 200 ms)")
    }
}
