import CorsairTestSupport
import Foundation
import Testing

/// Every client command against a CURVE broker, with real processes: each talks CURVE with `--curve-server-key` and
/// `--curve-key`, exits 69 when it does not, and 77 when its key is not allowed as a client; a client whose key is
/// removed is refused after SIGHUP while the others carry on.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct CurveClientTests {
    let harness: ProcessHarness
    let cluster: CurveCluster

    init() throws {
        harness = try ProcessHarness()
        cluster = try CurveCluster(harness: harness)
    }

    /// The task ids in `output`'s JSON lines, in order.
    static func ids(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
        }
    }

    /// JSON lines of tasks: each `(id, category)`.
    static func jsonLines(_ tasks: [(String, String)]) -> String {
        tasks.map { #"{"id": "\#($0.0)", "category": "\#($0.1)", "payload": "p"}"# }.joined(separator: "\n") + "\n"
    }

    @Test("submit (streamed and detached), wait, status, workers and tasks talk CURVE; 69 without it, 77 refused")
    func everyCommandTalksCurve() throws {
        defer { harness.shutdown() }
        try cluster.keygen("worker", allowedIn: cluster.workersDirectory)
        try cluster.keygen("client", allowedIn: cluster.clientsDirectory)
        try cluster.keygen("stranger")
        let (_, endpoint) = try cluster.startBroker()
        try harness.start(
            binary: "corsair-worker",
            ["--broker", endpoint, "--category", "a", "--echo", "--id", "worker"] + cluster.clientFlags("worker"))
        try cluster.waitForWorkers(["worker"], at: endpoint, client: "client")

        // A JSON lines file goes to a journaled broker as a stream: the broker's flags are asked first.
        let file = harness.path("batch.jsonl")
        try Self.jsonLines((1...10).map { ("s\($0)", "a") }).write(to: file, atomically: true, encoding: .utf8)
        let streamed = try harness.run(
            binary: "corsair", ["submit", file.path, "--broker", endpoint, "--json"] + cluster.clientFlags("client"))
        #expect(streamed.status == 0, "\(streamed.errors)")
        #expect(Self.ids(streamed.output).sorted() == (1...10).map { "s\($0)" }.sorted())
        let detached = try harness.run(
            binary: "corsair",
            ["submit", "-", "--broker", endpoint, "--detach", "--batch", "later"] + cluster.clientFlags("client"),
            input: Self.jsonLines((1...5).map { ("d\($0)", "a") }))
        #expect(detached.status == 0, "\(detached.errors)")
        #expect(detached.output.contains("later"))
        let waited = try harness.run(
            binary: "corsair", ["wait", "later", "--broker", endpoint, "--json"] + cluster.clientFlags("client"))
        #expect(waited.status == 0, "\(waited.errors)")
        #expect(Self.ids(waited.output).sorted() == (1...5).map { "d\($0)" })

        let commands: [[String]] = [
            ["status"], ["workers"], ["tasks"], ["wait", "later"], ["submit", file.path], ["submit", "-", "--detach"],
        ]
        for command in commands {
            let arguments = command + ["--broker", endpoint]
            let input = Self.jsonLines([("x1", "a")])
            let allowed = try harness.run(binary: "corsair", arguments + cluster.clientFlags("client"), input: input)
            #expect(allowed.status == 0, "\(command): \(allowed.errors)")
            let plain = try harness.run(binary: "corsair", arguments, input: input)
            #expect(plain.status == 69, "\(command): \(plain.errors)")
            #expect(plain.errors.contains("requires CURVE"), "\(command): \(plain.errors)")
            let workerKey = try harness.run(binary: "corsair", arguments + cluster.clientFlags("worker"), input: input)
            #expect(workerKey.status == 77, "\(command): \(workerKey.errors)")
            #expect(workerKey.errors.contains("not allowed as a client"), "\(command): \(workerKey.errors)")
            let stranger = try harness.run(
                binary: "corsair", arguments + cluster.clientFlags("stranger"), input: input)
            #expect(stranger.status == 77, "\(command): \(stranger.errors)")
            #expect(stranger.errors.contains("the broker refused this key"), "\(command): \(stranger.errors)")
        }

        // A large batch is still being sent when the broker refuses the handshake: the client says why.
        let large = (1...20_000).map { "b\($0)" }.joined(separator: " ")
        for extra in [[], ["--detach"]] {
            let outcome = try harness.run(
                binary: "corsair", ["submit", "-", "--broker", endpoint] + extra, input: large, timeout: .seconds(30))
            #expect(outcome.status == 69, "\(extra): \(outcome.errors)")
            #expect(outcome.errors.contains("CURVE"), "\(extra): \(outcome.errors)")
        }
    }

    @Test("removing a client's key and sending SIGHUP refuses that client; peers whose keys remain stay connected")
    func reloadRefusesClient() throws {
        defer { harness.shutdown() }
        try cluster.keygen("worker", allowedIn: cluster.workersDirectory)
        try cluster.keygen("keep", allowedIn: cluster.clientsDirectory)
        try cluster.keygen("gone", allowedIn: cluster.clientsDirectory)
        let (broker, endpoint) = try cluster.startBroker()
        let worker = try harness.start(
            binary: "corsair-worker",
            ["--broker", endpoint, "--category", "a", "--echo", "--id", "a-worker"] + cluster.clientFlags("worker"))
        try cluster.waitForWorkers(["a-worker"], at: endpoint, client: "keep")

        // Each batch has a task of category a, which is served, and one of c, which waits for a worker.
        var waits: [String: ProcessHarness.Child] = [:]
        for name in ["keep", "gone"] {
            let submitted = try harness.run(
                binary: "corsair",
                ["submit", "-", "--broker", endpoint, "--detach", "--batch", name] + cluster.clientFlags(name),
                input: Self.jsonLines([("\(name)-a", "a"), ("\(name)-c", "c")]))
            try #require(submitted.status == 0, "\(submitted.errors)")
            waits[name] = try harness.start(
                binary: "corsair", ["wait", name, "--broker", endpoint, "--json"] + cluster.clientFlags(name))
        }
        let keep = try #require(waits["keep"])
        let gone = try #require(waits["gone"])
        try harness.waitUntil("both waits have their first result") {
            keep.output.contains("keep-a") && gone.output.contains("gone-a")
        }

        try FileManager.default.removeItem(at: cluster.clientsDirectory.appendingPathComponent("gone.pub"))
        broker.send(SIGHUP)
        #expect(gone.waitForExit(timeout: .seconds(10)) == 77)
        #expect(gone.errors.contains("not allowed as a client"), "\(gone.errors)")
        let refused = try harness.run(
            binary: "corsair", ["status", "--broker", endpoint] + cluster.clientFlags("gone"))
        #expect(refused.status == 77, "\(refused.errors)")
        #expect(refused.errors.contains("the broker refused this key"), "\(refused.errors)")

        // The other client and the worker were not disconnected: the wait still follows its batch, the worker
        // connected once.
        #expect(keep.process.isRunning, "\(keep.errors)")
        try harness.start(
            binary: "corsair-worker",
            ["--broker", endpoint, "--category", "c", "--echo", "--id", "c-worker"] + cluster.clientFlags("worker"))
        #expect(keep.waitForExit(timeout: .seconds(20)) == 0, "\(keep.errors)")
        #expect(Self.ids(keep.output) == ["keep-a", "keep-c"])
        #expect(keep.errors.contains("reconnecting") == false, "\(keep.errors)")
        #expect(worker.errors.components(separatedBy: "connecting to broker").count == 2, "\(worker.errors)")
        #expect(broker.errors.contains("allowed keys reloaded"))
    }
}
