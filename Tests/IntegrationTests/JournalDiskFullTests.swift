import CorsairTestSupport
import Foundation
import Testing

/// A durable broker whose journal's disk fills up while it runs, on a small tmpfs (needs root to mount).
@Suite(.tags(.integration), .timeLimit(.minutes(2)))
struct JournalDiskFullTests {
    /// Whether this process may mount a tmpfs (tests run as root in CI; elsewhere the suite is skipped).
    static let canMount: Bool = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-mount-\(UUID())")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil,
            mount(directory, size: "64k")
        else { return false }
        unmount(directory)
        try? FileManager.default.removeItem(at: directory)
        return true
    }()

    @discardableResult
    private static func mount(_ directory: URL, size: String) -> Bool {
        run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.path]) == 0
    }

    private static func unmount(_ directory: URL) {
        run("/bin/umount", [directory.path])
    }

    @discardableResult
    private static func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

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
        .enabled(if: canMount, "mount -t tmpfs is not permitted here (the test needs root); skipped"))
    func diskFull() throws {
        let harness = try ProcessHarness()
        let disk = harness.path("tmpfs")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        try #require(Self.mount(disk, size: "8m"))
        defer { Self.unmount(disk) }
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
        #expect(refused.status != 0)
        #expect(refused.output.contains("journal_full"))

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
