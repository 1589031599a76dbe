import CorsairTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `corsair workers ID` and `GET /v1/workers/{id}` against a real broker and worker.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct WorkerPageTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    @Test("a worker's page shows the task it runs, its version and uptime; an unknown id is 404 and exit 1")
    func page() async throws {
        defer { harness.shutdown() }
        let port = try ProcessHarness.freePort()
        let (_, endpoint) = try harness.startBroker(["--http", "127.0.0.1:\(port)"])
        try harness.startWorker(
            endpoint, category: "slow", ["--simulate", "30s", "--id", "sloth", "--concurrency", "2"])
        let http = try #require(URL(string: "http://127.0.0.1:\(port)"))
        _ = try await HTTP.request(
            http.appending(path: "v1/tasks"), method: "POST",
            body: #"{"id": "nap", "category": "slow", "payload": "", "timeout": "120s"}"#
        )
        try await HTTP.waitUntil("the task runs on sloth") {
            let (_, page) = try await HTTP.request(http.appending(path: "v1/workers/sloth"))
            return ((page as? [String: Any])?["tasks"] as? [[String: Any]])?.first?["id"] as? String == "nap"
        }

        let (status, page) = try await HTTP.request(http.appending(path: "v1/workers/sloth"))
        #expect(status == 200)
        let object = try #require(page as? [String: Any])
        #expect(object["id"] as? String == "sloth")
        #expect(object["version"] as? String == "0.9.0")
        #expect(object["inFlight"] as? Int == 1)
        #expect((object["uptimeMilliseconds"] as? Int ?? -1) >= 0)
        #expect((object["lastHeartbeatAgeMilliseconds"] as? Int ?? -1) >= 0)
        let connections = try #require(object["connections"] as? [[String: Any]])
        #expect(connections.map { $0["category"] as? String } == ["slow"])
        #expect(connections.first?["credit"] as? Int == 2)

        let cli = try harness.run(binary: "corsair", ["workers", "sloth", "--broker", endpoint])
        #expect(cli.status == 0, "\(cli.errors)")
        #expect(cli.output.contains("worker sloth on "), "\(cli.output)")
        #expect(cli.output.contains("version 0.9.0"), "\(cli.output)")
        #expect(cli.output.contains("1 in flight, 0 completed, 0 failed"), "\(cli.output)")
        let taskRow = cli.output.split(separator: "\n").first { $0.hasPrefix("nap ") }?.split(separator: " ")
        #expect(taskRow?.prefix(4) == ["nap", "slow", "http", "1"], "\(cli.output)")

        let (missing, refusal) = try await HTTP.request(http.appending(path: "v1/workers/nobody"))
        #expect(missing == 404)
        #expect((refusal as? [String: Any])?["error"] as? String == "no worker 'nobody'")
        let unknown = try harness.run(binary: "corsair", ["workers", "nobody", "--broker", endpoint])
        #expect(unknown.status == 1)
        #expect(unknown.errors.contains("no worker 'nobody' is connected"))
    }
}
