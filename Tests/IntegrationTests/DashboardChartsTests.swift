import CorsairTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The dashboard's charts in headless Chromium, against a real broker and worker: the numbers each chart draws, read
/// back from the DOM, and a screenshot to look at.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct DashboardChartsTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// Where the screenshot goes: `$CORSAIR_TEST_OUTPUT`, else `.build/test-output` beside the built products.
    static var outputFolder: URL {
        if let folder = ProcessInfo.processInfo.environment["CORSAIR_TEST_OUTPUT"] {
            return URL(fileURLWithPath: folder)
        }
        return ProcessHarness.productsDirectory.deletingLastPathComponent().appending(path: "test-output")
    }

    /// The first `attribute="…"` value of every element in `dom` that carries `marker`.
    static func attribute(_ attribute: String, near marker: String, in dom: String) -> [String] {
        dom.components(separatedBy: "<").filter { $0.contains(marker) }.compactMap { element in
            guard let start = element.range(of: " \(attribute)=\"") else { return nil }
            return String(element[start.upperBound...].prefix { $0 != "\"" })
        }
    }

    /// Chromium's flags for a headless run with its profile in the harness's folder.
    func flags() -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(harness.path("chromium").path)", "--virtual-time-budget=3000",
        ]
    }

    /// The page at `http` as Chromium leaves it after running its scripts.
    func dom(_ chromium: URL, _ http: URL) throws -> String {
        let run = try harness.run(chromium, flags() + ["--dump-dom", http.absoluteString + "/"])
        #expect(run.status == 0, "\(run.errors)")
        return run.output
    }

    @Test("draws throughput, queue depth, batch progress and run times with the broker's numbers; cancel buttons work")
    func charts() async throws {
        let chromium = try Browser.chromium()
        defer { harness.shutdown() }
        let port = try ProcessHarness.freePort()
        let (_, endpoint) = try harness.startBroker(["--http", "127.0.0.1:\(port)"])
        try harness.startWorker(endpoint, category: "a", ["--simulate", "200ms", "--concurrency", "5"])
        let http = try #require(URL(string: "http://127.0.0.1:\(port)"))
        let batch = (1...5).map { #"{"id": "d\#($0)", "category": "a", "payload": "x"}"# }.joined(separator: ",")
        _ = try await HTTP.request(http.appending(path: "v1/tasks"), method: "POST", body: "[\(batch)]")
        _ = try await HTTP.request(
            http.appending(path: "v1/tasks").appending(queryItems: [URLQueryItem(name: "batch", value: "nightly")]),
            method: "POST",
            body: #"[{"id": "n1", "category": "nobody", "payload": "waits"}, "#
                + #"{"id": "n2", "category": "a", "payload": "later", "delay": "60s"}]"#)
        try await HTTP.waitUntil("the history holds the five finished tasks and the waiting one") {
            let (_, history) = try await HTTP.request(http.appending(path: "v1/history"))
            let last = (history as? [[String: Any]])?.last
            return last?["finished"] as? Int == 5 && (last?["queued"] as? [String: Int])?["nobody"] == 1
        }

        let dom = try dom(chromium, http)
        #expect(dom.contains(#"data-charts="true""#), "the charts were never drawn:\n\(dom)")
        #expect(Self.attribute("data-finished", near: "throughput-summary", in: dom) == ["5"])
        #expect(dom.contains(#"data-series="finished""#), "the throughput line is drawn")
        #expect(Self.attribute("data-depth", near: #"data-category="nobody""#, in: dom) == ["1"])
        #expect(Self.attribute("data-depth", near: #"data-category="a""#, in: dom) == ["0"])
        #expect(Self.attribute("data-total", near: #"data-batch="http""#, in: dom) == ["5"])
        #expect(Self.attribute("data-succeeded", near: #"data-batch="http""#, in: dom) == ["5"])
        #expect(Self.attribute("data-queued", near: #"data-batch="nightly""#, in: dom) == ["1"])
        #expect(Self.attribute("data-scheduled", near: #"data-batch="nightly""#, in: dom) == ["1"], "n2's delay")
        let buckets = Self.attribute("data-count", near: "data-bucket", in: dom)
        #expect(buckets.count == 6)
        #expect(Self.attribute("data-count", near: #"data-bucket="0.1–1s""#, in: dom) == ["5"], "200 ms tasks")
        #expect(buckets.compactMap { Int($0) }.reduce(0, +) == 5)

        try await cancelButtons(dom, chromium, http)
        try screenshot(chromium, http)
    }

    /// The waiting and the delayed task's rows offer to cancel each and their batch, the batch's progress bar offers
    /// to cancel the batch, and finished tasks and batches offer nothing. Sending the DELETE a button names (what its
    /// click does) cancels the batch: the page then counts both cancelled, offers no button, and /metrics counts them.
    func cancelButtons(_ dom: String, _ chromium: URL, _ http: URL) async throws {
        let paths = Self.attribute("data-path", near: #"class="cancel""#, in: dom)
        #expect(paths.filter { $0 == "/v1/tasks/n1?batch=nightly" }.count == 1, "a task's button: \(paths)")
        #expect(paths.filter { $0 == "/v1/tasks/n2?batch=nightly" }.count == 1, "a task's button: \(paths)")
        #expect(paths.filter { $0 == "/v1/batches/nightly" }.count == 3, "its rows' and its bar's: \(paths)")
        let finished = paths.filter { $0.contains("/v1/tasks/d") || $0.contains("/v1/batches/http") }
        #expect(finished.isEmpty, "finished tasks and batches have no button: \(paths)")

        let (status, answer) = try await HTTP.request(
            http.appending(path: "v1/batches/nightly"), method: "DELETE")
        #expect(status == 200)
        #expect((answer as? [String: Any])?["cancelled"] as? Int == 2)
        let after = try self.dom(chromium, http)
        #expect(Self.attribute("data-cancelled", near: #"data-batch="nightly""#, in: after) == ["2"])
        #expect(Self.attribute("data-queued", near: #"data-batch="nightly""#, in: after) == ["0"])
        #expect(Self.attribute("data-scheduled", near: #"data-batch="nightly""#, in: after) == ["0"])
        #expect(after.contains(#"<b id="cancelled">2</b>"#), "the cancelled tile")
        #expect(Self.attribute("data-path", near: #"class="cancel""#, in: after).isEmpty)
        let metrics = try await HTTP.text(http.appending(path: "metrics"))
        #expect(metrics.contains("corsair_tasks_cancelled_total 2"), "\(metrics)")
    }

    /// Saves a screenshot of the page into ``outputFolder``.
    func screenshot(_ chromium: URL, _ http: URL) throws {
        try FileManager.default.createDirectory(at: Self.outputFolder, withIntermediateDirectories: true)
        let screenshot = Self.outputFolder.appending(path: "dashboard.png")
        try? FileManager.default.removeItem(at: screenshot)
        let page = http.absoluteString + "/"
        let shot = try harness.run(
            chromium, flags() + ["--window-size=1280,1700", "--screenshot=\(screenshot.path)", page])
        #expect(shot.status == 0, "\(shot.errors)")
        let size = (try? FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "the screenshot at \(screenshot.path) is \(size) bytes")
        print("dashboard screenshot: \(screenshot.path) (\(size) bytes)")
    }
}
