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

    @Test("draws throughput, queue depth, batch progress and run times with the broker's numbers")
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
            method: "POST", body: #"[{"id": "n1", "category": "nobody", "payload": "waits"}]"#)
        try await HTTP.waitUntil("the history holds the five finished tasks and the waiting one") {
            let (_, history) = try await HTTP.request(http.appending(path: "v1/history"))
            let last = (history as? [[String: Any]])?.last
            return last?["finished"] as? Int == 5 && (last?["queued"] as? [String: Int])?["nobody"] == 1
        }

        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(harness.path("chromium").path)", "--virtual-time-budget=3000",
        ]
        let run = try harness.run(chromium, flags + ["--dump-dom", http.absoluteString + "/"])
        #expect(run.status == 0, "\(run.errors)")
        let dom = run.output
        #expect(dom.contains(#"data-charts="true""#), "the charts were never drawn:\n\(dom)")
        #expect(Self.attribute("data-finished", near: "throughput-summary", in: dom) == ["5"])
        #expect(dom.contains(#"data-series="finished""#), "the throughput line is drawn")
        #expect(Self.attribute("data-depth", near: #"data-category="nobody""#, in: dom) == ["1"])
        #expect(Self.attribute("data-depth", near: #"data-category="a""#, in: dom) == ["0"])
        #expect(Self.attribute("data-total", near: #"data-batch="http""#, in: dom) == ["5"])
        #expect(Self.attribute("data-succeeded", near: #"data-batch="http""#, in: dom) == ["5"])
        #expect(Self.attribute("data-queued", near: #"data-batch="nightly""#, in: dom) == ["1"])
        let buckets = Self.attribute("data-count", near: "data-bucket", in: dom)
        #expect(buckets.count == 6)
        #expect(Self.attribute("data-count", near: #"data-bucket="0.1–1s""#, in: dom) == ["5"], "200 ms tasks")
        #expect(buckets.compactMap { Int($0) }.reduce(0, +) == 5)

        try FileManager.default.createDirectory(at: Self.outputFolder, withIntermediateDirectories: true)
        let screenshot = Self.outputFolder.appending(path: "dashboard.png")
        try? FileManager.default.removeItem(at: screenshot)
        let shot = try harness.run(
            chromium, flags + ["--window-size=1280,1700", "--screenshot=\(screenshot.path)", http.absoluteString + "/"])
        #expect(shot.status == 0, "\(shot.errors)")
        let size = (try? FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "the screenshot at \(screenshot.path) is \(size) bytes")
        print("dashboard screenshot: \(screenshot.path) (\(size) bytes)")
    }
}
