import Corsair
import CorsairTestSupport
import Foundation
import Testing

/// A client that submits 2 000 tasks with 64 KiB results and then never reads (issue 18, "Load"), against a real
/// broker and `corsair-worker --echo`: the broker's memory stays within what its configuration allows, and the results
/// are still there afterwards.
@Suite(.serialized) struct StalledClientTests {
    static let tasks = 2000
    static let resultBytes = 64 << 10
    static let unreadBytes = 16 << 20
    static let session = "stalled"

    @Test("a client that never reads: an in-memory broker's RSS stays within retained plus unread bytes")
    func boundedInMemory() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let retainBytes = 16 << 20
        let (broker, _, client) = try stall(
            harness, ["--journal", "none", "--retain-finished-bytes", "\(retainBytes)"])
        // What the broker holds besides the retained results and the client's unread allowance: its binaries (about
        // 35 MiB resident) and its own heap (about 20 MiB). Without the unread limit it would also hold what the
        // client's socket could not take, about 100 MiB of the 125 MiB of results, and exceed this.
        let bound = retainBytes + Self.unreadBytes + (80 << 20)
        var resident = 0
        // The broker hands freed heap back once idle (HeapTrimmer), within seconds of the last result.
        do {
            try harness.waitUntil("the idle broker's RSS is at most \(bound >> 20) MiB") {
                resident = try Self.memory("VmRSS", of: broker)
                return resident <= bound
            }
        } catch {
            // Once in a full CI run (the four long suites side by side) it stayed above the bound for 20 s; alone it
            // settles at 74-83 MiB. Say where it stood, and the broker's peak, to tell a leak from a late trim.
            Issue.record(
                "\(error): VmRSS \(resident >> 20) MiB, VmHWM \(try Self.memory("VmHWM", of: broker) >> 20) MiB")
            return
        }
        print(
            "stalled client, in memory: broker VmRSS \(resident >> 20) MiB (bound \(bound >> 20) MiB), VmHWM "
                + "\(try Self.memory("VmHWM", of: broker) >> 20) MiB")
        withExtendedLifetime(client) {}
    }

    @Test("a client that never reads: a durable broker keeps every result, and corsair wait prints them all")
    func resultsKeptInJournal() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let (broker, endpoint, client) = try stall(harness, ["--retain-finished-bytes", "\(32 << 20)"])
        let resident = try Self.memory("VmRSS", of: broker)
        print(
            "stalled client, durable: broker VmRSS \(resident >> 20) MiB once every task finished, VmHWM "
                + "\(try Self.memory("VmHWM", of: broker) >> 20) MiB")
        let waited = try harness.run(
            binary: "corsair", ["wait", "--broker", endpoint, "--json", Self.session], timeout: .seconds(120))
        #expect(waited.status == 0, "\(waited.errors)")
        var ids = Set<String>()
        for line in waited.output.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((object["result"] as? String)?.utf8.count == Self.resultBytes)
            ids.insert(try #require(object["id"] as? String))
        }
        #expect(ids.count == Self.tasks)
        withExtendedLifetime(client) {}
    }

    /// A broker started with `arguments` and `--client-unread-bytes`, an echo worker, and a client that submitted
    /// every task and read nothing, once every task has succeeded and the broker has said it withholds results.
    func stall(
        _ harness: ProcessHarness,
        _ arguments: [String]
    ) throws -> (broker: ProcessHarness.Child, endpoint: String, client: StalledClient) {
        let (broker, endpoint) = try harness.startBroker(
            arguments + ["--client-unread-bytes", "\(Self.unreadBytes)"])
        try harness.startWorker(endpoint, category: "echo", ["--echo", "--concurrency", "4"])
        let client = try StalledClient(endpoint: endpoint)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: Self.resultBytes)
        let specs = (1...Self.tasks).map { TaskSpec(id: "t\($0)", category: "echo", payload: payload) }
        try client.submit(specs, session: Array(Self.session.utf8), perMessage: 8)
        try harness.waitUntil("every task has succeeded", timeout: .seconds(120)) {
            try Self.succeeded(harness, endpoint) == Self.tasks
        }
        try harness.waitUntil("the broker withholds the client's results") {
            broker.errors.contains("client not reading, results withheld")
        }
        return (broker, endpoint, client)
    }

    /// How many tasks the broker at `endpoint` has seen succeed.
    static func succeeded(_ harness: ProcessHarness, _ endpoint: String) throws -> Int {
        let status = try harness.run(binary: "corsair", ["status", "--broker", endpoint, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        return object?["succeeded"] as? Int ?? 0
    }

    /// A field of `/proc/PID/status` of `child` given in kB (`VmRSS`, `VmHWM`), in bytes.
    static func memory(_ field: String, of child: ProcessHarness.Child) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("\(field):") })
        let kilobytes = try #require(Int(line.split(separator: " ").dropFirst().first ?? ""))
        return kilobytes * 1024
    }
}
