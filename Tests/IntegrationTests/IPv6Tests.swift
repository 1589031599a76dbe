import CorsairTestSupport
import Foundation
import Testing

/// A cluster on the IPv6 loopback: every socket turns `ZMQ_IPV6` on, so `tcp://[::1]:PORT` binds and connects, and a
/// wildcard bind takes IPv6 and IPv4 peers alike. Without it the broker exits with "No such device".
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct IPv6Tests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    @Test("a broker bound to tcp://[::1] serves a worker and a client that connect over IPv6")
    func loopbackCluster() throws {
        defer { harness.shutdown() }
        let endpointFile = harness.path("broker6.endpoint")
        let broker = try harness.start(
            binary: "corsair-broker", ["--bind", "tcp://[::1]:*", "--endpoint-file", endpointFile.path])
        var endpoint = ""
        try harness.waitUntil("the broker writes its endpoint file") {
            endpoint =
                (try? String(contentsOf: endpointFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return !endpoint.isEmpty || !broker.process.isRunning
        }
        #expect(broker.process.isRunning, "\(broker.errors)")
        #expect(endpoint.hasPrefix("tcp://[::1]:"), "bound \(endpoint)")
        try harness.startWorker(endpoint, category: "a", ["--echo"])
        let run = try harness.run(binary: "corsair", ["submit", "--broker", endpoint, "--json", "-"], input: "a1")
        #expect(run.status == 0, "\(run.errors)")
        let results = try ResultLine.parse(run.output)
        #expect(results.map(\.status) == ["succeeded"])
        let status = try harness.run(binary: "corsair", ["status", "--broker", endpoint, "--json"])
        #expect(status.status == 0, "\(status.errors)")
    }

    @Test("a wildcard bind takes a worker over IPv6 and a client over IPv4 on the same port")
    func wildcardTakesBothFamilies() throws {
        defer { harness.shutdown() }
        let port = try ProcessHarness.freePort()
        // startBroker binds its own 127.0.0.1 port too; the test uses only the wildcard's.
        _ = try harness.startBroker(["--bind", "tcp://*:\(port)"])
        try harness.startWorker("tcp://[::1]:\(port)", category: "a", ["--echo"])
        let run = try harness.run(
            binary: "corsair", ["submit", "--broker", "tcp://127.0.0.1:\(port)", "--json", "-"], input: "a1 a2")
        #expect(run.status == 0, "\(run.errors)")
        let results = try ResultLine.parse(run.output)
        #expect(results.map(\.id).sorted() == ["a1", "a2"])
        #expect(results.allSatisfy { $0.status == "succeeded" })
    }
}
