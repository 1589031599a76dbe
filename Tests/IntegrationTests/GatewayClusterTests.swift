import CorsairTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The broker's HTTP gateway (`--http`) in front of a real cluster: the API, the metrics, and the dashboard as a real
/// browser renders it.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct GatewayClusterTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// A broker with `--http` on a free port and one echo worker `w1` of category `a`.
    func startCluster() throws -> (http: URL, broker: String) {
        let port = try ProcessHarness.freePort()
        let (_, endpoint) = try harness.startBroker(["--http", "127.0.0.1:\(port)"])
        try harness.startWorker(endpoint, category: "a", ["--echo", "--id", "w1"])
        return (try #require(URL(string: "http://127.0.0.1:\(port)")), endpoint)
    }

    @Test("serves tasks, workers and metrics of a running cluster over HTTP, and corsair tasks finds its batch")
    func api() async throws {
        defer { harness.shutdown() }
        let (http, endpoint) = try startCluster()
        let (status, answer) = try await HTTP.request(
            http.appending(path: "v1/tasks"), method: "POST",
            body: #"[{"id": "h1", "category": "a", "payload": "one"}, {"id": "h2", "category": "a", "payload": "two"}]"#
        )
        #expect(status == 202, "\(answer)")
        #expect((answer as? [String: Any])?["accepted"] as? [String] == ["h1", "h2"])

        try await HTTP.waitUntil("both tasks succeeded") {
            let (_, list) = try await HTTP.request(try #require(URL(string: "\(http)/v1/tasks?state=succeeded")))
            return (list as? [[String: Any]])?.count == 2
        }
        let (_, task) = try await HTTP.request(http.appending(path: "v1/tasks/h2"))
        #expect((task as? [String: Any])?["result"] as? String == "two")
        #expect((task as? [String: Any])?["worker"] as? String == "w1")
        let (_, workers) = try await HTTP.request(http.appending(path: "v1/workers"))
        #expect((workers as? [[String: Any]])?.map { $0["id"] as? String } == ["w1"])
        let (_, health) = try await HTTP.request(http.appending(path: "healthz"))
        #expect((health as? [String: Any])?["workers"] as? Int == 1)
        let metrics = try await HTTP.text(http.appending(path: "metrics"))
        #expect(metrics.contains("corsair_tasks_submitted_total 2"))
        #expect(metrics.contains("corsair_tasks_succeeded_total 2"))
        #expect(metrics.contains("corsair_workers_connected 1"))
        #expect(metrics.contains(#"corsair_queue_depth{category="a"} 0"#))

        let tasks = try harness.run(binary: "corsair", ["tasks", "--broker", endpoint, "--batch", "http", "--json"])
        #expect(tasks.status == 0, "\(tasks.errors)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(tasks.output.utf8)) as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == ["h2", "h1"])
    }

    @Test("the dashboard shows the live numbers of a running cluster in headless Chromium")
    func dashboardInBrowser() async throws {
        let chromium = try Browser.chromium()
        defer { harness.shutdown() }
        let (http, _) = try startCluster()
        let batch = (1...5).map { #"{"id": "d\#($0)", "category": "a", "payload": "x"}"# }.joined(separator: ",")
        _ = try await HTTP.request(http.appending(path: "v1/tasks"), method: "POST", body: "[\(batch)]")
        _ = try await HTTP.request(
            http.appending(path: "v1/tasks"), method: "POST",
            body: #"{"id": "never", "category": "nobody", "payload": "waits"}"#)
        try await HTTP.waitUntil("five tasks succeeded") {
            let (_, status) = try await HTTP.request(http.appending(path: "v1/status"))
            return (status as? [String: Any])?["succeeded"] as? Int == 5
        }

        let run = try harness.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=\(harness.path("chromium").path)", "--virtual-time-budget=5000", "--dump-dom",
                http.absoluteString + "/",
            ])
        #expect(run.status == 0, "\(run.errors)")
        let dom = run.output
        #expect(dom.contains(#"data-ready="true""#), "the page never rendered the broker's numbers:\n\(dom)")
        #expect(dom.contains(#"<b id="submitted">6</b>"#))
        #expect(dom.contains(#"<b id="succeeded">5</b>"#))
        #expect(dom.contains(#"<b id="queued">1</b>"#))
        #expect(dom.contains(#"<b id="workers-count">1</b>"#))
        #expect(dom.contains("<td>w1</td>"), "the worker table lists w1")
        #expect(dom.contains("<td>never</td>"), "the recent tasks list the waiting task")
        #expect(dom.contains("<td>nobody</td><td>0</td><td>1</td>"), "category nobody: no worker, one queued")
    }
}

/// Small HTTP calls for the gateway tests.
enum HTTP {
    static func request(_ url: URL, method: String = "GET", body: String? = nil) async throws -> (Int, Any) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
    }

    static func text(_ url: URL) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: url)
        return String(decoding: data, as: UTF8.self)
    }

    /// Polls `condition` every 50 ms until it holds, failing after 10 s.
    static func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("timed out waiting until \(what)")
    }
}

/// Finds the headless browser the dashboard test drives.
enum Browser {
    static func chromium() throws -> URL {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        throw HarnessError("Chromium is needed for the dashboard test: run Tests/run.sh, which installs it")
    }
}
