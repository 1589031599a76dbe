import CorsairTestSupport
import Foundation
import Testing

/// A durable broker whose journal's disk fills up while it runs, on a small tmpfs (needs root to mount).
@Suite(.tags(.integration), .timeLimit(.minutes(2)))
struct JournalDiskFullTests {
    /// Writes zeros to `file` until the file system refuses more.
    private static func fill(_ file: URL) throws {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        let chunk = Data(count: 16 << 10)
        while (try? handle.write(contentsOf: chunk)) != nil {}
    }

    @Test(
        "a full disk refuses new submissions with journal_full while accepted work finishes, and they resume",
        .enabled(if: TmpfsMount.permitted, "mount -t tmpfs is not permitted here (the test needs root); skipped"))
    func diskFull() throws {
        let harness = try ProcessHarness()
        let disk = harness.path("tmpfs")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        try #require(TmpfsMount.mount(disk, size: "8m"))
        defer { TmpfsMount.unmount(disk) }
        let journal = disk.appendingPathComponent("corsair.journal").path
        let (broker, endpoint) = try harness.startBroker(["--journal", journal])
        try harness.startWorker(endpoint, category: "sim", ["--simulate", "100ms", "--concurrency", "4"])
        let first = harness.path("first.jsonl")
        try Self.batch(40, prefix: "a").write(to: first, atomically: true, encoding: .utf8)
        let accepted = try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "first", "--json", first.path])
        try harness.waitUntil("the first batch is accepted") {
            let listed = try harness.run(
                binary: "corsair", ["tasks", "--broker", endpoint, "--batch", "first", "--json", "--limit", "100"])
            return (try? JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [Any])?.count == 40
        }

        let filler = disk.appendingPathComponent("filler")
        try Self.fill(filler)
        try harness.waitUntil("the broker notices the full disk") { broker.errors.contains("refusing new submissions") }
        let second = harness.path("second.jsonl")
        try Self.batch(5, prefix: "b").write(to: second, atomically: true, encoding: .utf8)
        let refused = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "second", second.path])
        #expect(refused.status == 75, "journal_full exits EX_TEMPFAIL: \(refused.errors)")
        #expect(refused.errors.contains("journal_full"))

        try FileManager.default.removeItem(at: filler)
        #expect(accepted.waitForExit(timeout: .seconds(30)) == 0)
        #expect(accepted.output.split(separator: "\n").count == 40)
        try harness.waitUntil("the broker takes submissions again") {
            broker.errors.contains("room again") || broker.errors.contains("writable again")
        }
        let resumed = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "third", second.path])
        #expect(resumed.status == 0)
        #expect(broker.process.isRunning)
    }

    private static func batch(_ count: Int, prefix: String) -> String {
        (1...count).map { #"{"id":"\#(prefix)\#($0)","category":"sim","payload":"x"}"# }.joined(separator: "\n") + "\n"
    }
}
