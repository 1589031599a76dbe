import CorsairTestSupport
import Foundation
import Testing

/// CURVE and key-based roles with real processes: who gets tasks, who is refused and why, SIGHUP, bad key files.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct CurveTests {
    let harness: ProcessHarness
    let cluster: CurveCluster

    init() throws {
        harness = try ProcessHarness()
        cluster = try CurveCluster(harness: harness)
    }

    @Test("an allowed worker serves, listed with its key name; unknown, plaintext, client-key workers are refused")
    func onlyAllowedWorkersServe() async throws {
        defer { harness.shutdown() }
        try cluster.keygen("good", allowedIn: cluster.workersDirectory)
        try cluster.keygen("submitter", allowedIn: cluster.clientsDirectory)
        try cluster.keygen("stranger")
        let port = try ProcessHarness.freePort()
        let (_, endpoint) = try cluster.startBroker(["--http", "127.0.0.1:\(port)"])
        let worker = ["--broker", endpoint, "--category", "a", "--echo"]
        let good = try harness.start(binary: "corsair-worker", worker + ["--id", "good"] + cluster.clientFlags("good"))
        let plain = try harness.start(binary: "corsair-worker", worker + ["--id", "plain"])
        let stranger = try harness.start(
            binary: "corsair-worker", worker + ["--id", "stranger"] + cluster.clientFlags("stranger"))
        let posing = try harness.start(
            binary: "corsair-worker", worker + ["--id", "posing"] + cluster.clientFlags("submitter"))
        try cluster.waitForWorkers(["good"], at: endpoint, client: "submitter")

        let batch = (1...20).map { "a\($0)" }.joined(separator: " ")
        let submitted = try harness.run(
            binary: "corsair", ["submit", "-", "--broker", endpoint, "--json"] + cluster.clientFlags("submitter"),
            input: batch)
        #expect(submitted.status == 0, "\(submitted.errors)")
        let workers = submitted.output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["worker"] as? String
        }
        #expect(workers.count == 20)
        #expect(Set(workers) == ["good"])
        #expect(try cluster.workers(at: endpoint, client: "submitter").map(\.key) == ["good"])

        let workersURL = try #require(URL(string: "http://127.0.0.1:\(port)/v1/workers"))
        try await HTTP.waitUntil("/v1/workers lists the worker with its key name") {
            let (_, listed) = try await HTTP.request(workersURL)
            return (listed as? [[String: Any]])?.map { $0["key"] as? String } == ["good"]
        }

        let metricsURL = try #require(URL(string: "http://127.0.0.1:\(port)/metrics"))
        try await HTTP.waitUntil("the refusals are counted") {
            let lines = try await HTTP.text(metricsURL).split(separator: "\n")
            func counted(_ reason: String) -> Bool {
                lines.contains {
                    $0.hasPrefix("corsair_auth_refused_total{reason=\"\(reason)\"}") && !$0.hasSuffix(" 0")
                }
            }
            return counted("not_worker") && counted("unknown_key") && (counted("plaintext") || counted("bad_handshake"))
        }
        try harness.waitUntil("each refused worker says why") {
            plain.errors.contains("requires CURVE")
                && stranger.errors.contains("the broker refused this key")
                && posing.errors.contains("broker sent DISCONNECT")
        }
        #expect(good.process.isRunning)
    }

    @Test("clients learn why they are refused: plaintext, a wrong server key, a worker key submitting")
    func clientsLearnWhy() throws {
        defer { harness.shutdown() }
        try cluster.keygen("worker", allowedIn: cluster.workersDirectory)
        try cluster.keygen("client", allowedIn: cluster.clientsDirectory)
        let (_, endpoint) = try cluster.startBroker()
        let plain = try harness.run(binary: "corsair", ["status", "--broker", endpoint])
        #expect(plain.status == 69)
        #expect(plain.errors.contains("requires CURVE"), "\(plain.errors)")
        let wrongServer = try harness.run(
            binary: "corsair",
            [
                "status", "--broker", endpoint, "--curve-server-key", cluster.file("client.pub"), "--curve-key",
                cluster.file("client.key"),
            ])
        #expect(wrongServer.status == 69)
        #expect(wrongServer.errors.contains("not the broker's public key"), "\(wrongServer.errors)")
        let workerKey = try harness.run(
            binary: "corsair", ["submit", "-", "--broker", endpoint] + cluster.clientFlags("worker"), input: "a1")
        #expect(workerKey.status == 77, "\(workerKey.errors)")
        #expect(workerKey.errors.contains("not allowed as a client"), "\(workerKey.errors)")
        let allowed = try harness.run(
            binary: "corsair", ["status", "--broker", endpoint] + cluster.clientFlags("client"))
        #expect(allowed.status == 0, "\(allowed.errors)")
    }

    @Test("removing a worker's key and sending SIGHUP disconnects it and keeps it out when it reconnects or restarts")
    func reloadRevokes() throws {
        defer { harness.shutdown() }
        try cluster.keygen("stays", allowedIn: cluster.workersDirectory)
        try cluster.keygen("goes", allowedIn: cluster.workersDirectory)
        try cluster.keygen("client", allowedIn: cluster.clientsDirectory)
        let (broker, endpoint) = try cluster.startBroker()
        var workers: [String: ProcessHarness.Child] = [:]
        for name in ["stays", "goes"] {
            workers[name] = try harness.start(
                binary: "corsair-worker",
                ["--broker", endpoint, "--category", "a", "--echo", "--id", name] + cluster.clientFlags(name))
        }
        try cluster.waitForWorkers(["stays", "goes"], at: endpoint, client: "client")
        try FileManager.default.removeItem(at: cluster.workersDirectory.appendingPathComponent("goes.pub"))
        broker.send(SIGHUP)
        try cluster.waitForWorkers(["stays"], at: endpoint, client: "client")
        let goes = try #require(workers["goes"])
        try harness.waitUntil("the reconnecting worker is refused at the handshake") {
            broker.errors.contains("reason=unknown_key") && goes.errors.contains("the broker refused this key")
        }

        // Killed and started again with the same key and id, it stays out too.
        goes.send(SIGKILL)
        _ = goes.waitForExit(timeout: .seconds(5))
        let restarted = try harness.start(
            binary: "corsair-worker",
            ["--broker", endpoint, "--category", "a", "--echo", "--id", "goes"] + cluster.clientFlags("goes"))
        try harness.waitUntil("the restarted worker is refused at the handshake") {
            restarted.errors.contains("the broker refused this key")
        }
        let submitted = try harness.run(
            binary: "corsair", ["submit", "-", "--broker", endpoint, "--json"] + cluster.clientFlags("client"),
            input: (1...10).map { "a\($0)" }.joined(separator: " "))
        #expect(submitted.status == 0, "\(submitted.errors)")
        let servedBy = submitted.output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["worker"] as? String
        }
        #expect(servedBy == Array(repeating: "stays", count: 10))
        #expect(try cluster.workers(at: endpoint, client: "client").map(\.id) == ["stays"])
        #expect(restarted.process.isRunning)
        // The worker whose key remains was never disconnected: it connected once.
        let stays = try #require(workers["stays"])
        #expect(stays.errors.components(separatedBy: "connecting to broker").count == 2, "\(stays.errors)")
        #expect(broker.errors.contains("allowed keys reloaded"))
    }

    @Test("bad key files exit 65 naming the file, in the broker, a worker and the clients; keygen never overwrites")
    func badKeyFiles() throws {
        defer { harness.shutdown() }
        let open = cluster.keys.appendingPathComponent("open.key")
        try FileManager.default.copyItem(atPath: cluster.file("broker.key"), toPath: open.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: open.path)
        let short = cluster.keys.appendingPathComponent("short.key")
        try "secret-key = \"HelloWorld\"\n".write(to: short, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: short.path)
        let garbage = cluster.workersDirectory.appendingPathComponent("garbage.pub")
        try "not a key at all\n".write(to: garbage, atomically: true, encoding: .utf8)
        let cases: [(arguments: [String], file: String)] = [
            (["--curve-secret-key", open.path], open.path),
            (["--curve-secret-key", short.path], short.path),
            (
                ["--curve-secret-key", cluster.file("broker.key"), "--allow-workers", cluster.workersDirectory.path],
                garbage.path
            ),
        ]
        for (arguments, file) in cases {
            let outcome = try harness.run(binary: "corsair-broker", ["--bind", "tcp://127.0.0.1:*"] + arguments)
            #expect(outcome.status == 65, "\(arguments): \(outcome.errors)")
            #expect(outcome.errors.contains(file), "\(outcome.errors)")
        }
        // The same files given to a worker and to the client commands.
        let peers: [(binary: String, arguments: [String], file: String)] = [
            ("corsair-worker", ["--category", "a", "--echo", "--curve-key", open.path], open.path),
            ("corsair-worker", ["--category", "a", "--echo", "--curve-key", short.path], short.path),
            ("corsair", ["status", "--curve-key", short.path], short.path),
            ("corsair", ["wait", "b1", "--curve-key", open.path], open.path),
            ("corsair", ["submit", "-", "--curve-key", cluster.file("broker.key")], garbage.path),
        ]
        for (binary, arguments, file) in peers {
            let serverKey = file == garbage.path ? garbage.path : cluster.file("broker.pub")
            let outcome = try harness.run(
                binary: binary, arguments + ["--broker", "tcp://127.0.0.1:1", "--curve-server-key", serverKey],
                input: "a1")
            #expect(outcome.status == 65, "\(binary) \(arguments): \(outcome.errors)")
            #expect(outcome.errors.contains(file), "\(outcome.errors)")
        }
        let again = try harness.run(binary: "corsair", ["keygen", "broker", "--dir", cluster.keys.path])
        #expect(again.status == 65)
        #expect(again.errors.contains("never overwrites"))
    }
}
