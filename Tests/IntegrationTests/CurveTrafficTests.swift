import CorsairTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What CURVE does on the wire: a capture holds no payload, and garbage handshakes leave a running batch alone.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct CurveTrafficTests {
    let harness: ProcessHarness
    let cluster: CurveCluster

    init() throws {
        harness = try ProcessHarness()
        cluster = try CurveCluster(harness: harness)
    }

    static let tcpdump = URL(fileURLWithPath: "/usr/bin/tcpdump")
    static let marker = "corsair-capture-marker-7f3a9c"

    /// Runs a batch of marked payloads through the broker at `endpoint` while tcpdump captures its port on loopback;
    /// returns the capture's bytes.
    func capture(endpoint: String, clientFlags: [String]) throws -> Data {
        let port = try #require(endpoint.split(separator: ":").last.map(String.init))
        let file = harness.path("capture.pcap")
        let dump = try harness.start(Self.tcpdump, ["-i", "lo", "-U", "-w", file.path, "tcp", "port", port])
        try harness.waitUntil("tcpdump listens") { dump.errors.contains("listening on") }
        let batch = (1...50).map { #"{"id": "t\#($0)", "category": "a", "payload": "\#(Self.marker)-\#($0)"}"# }
        let outcome = try harness.run(
            binary: "corsair", ["submit", "-", "--broker", endpoint] + clientFlags,
            input: batch.joined(separator: "\n"))
        #expect(outcome.status == 0, "\(outcome.errors)")
        // SIGTERM: a child of Foundation's Process may have SIGINT ignored.
        dump.send(SIGTERM)
        _ = dump.waitForExit(timeout: .seconds(2))
        return try Data(contentsOf: file)
    }

    @Test(
        "a loopback capture of a CURVE run holds none of the payload bytes; the same run in plaintext does",
        .enabled(if: FileManager.default.isExecutableFile(atPath: tcpdump.path), "needs tcpdump"))
    func captureHidesPayloads() throws {
        defer { harness.shutdown() }
        try cluster.keygen("worker", allowedIn: cluster.workersDirectory)
        try cluster.keygen("client", allowedIn: cluster.clientsDirectory)
        let (_, curveEndpoint) = try cluster.startBroker()
        try harness.start(
            binary: "corsair-worker",
            ["--broker", curveEndpoint, "--category", "a", "--echo"] + cluster.clientFlags("worker"))
        try cluster.waitForWorkers(Set(), at: curveEndpoint, client: "client", excluding: true)
        let encrypted = try capture(endpoint: curveEndpoint, clientFlags: cluster.clientFlags("client"))

        let (_, plainEndpoint) = try harness.startBroker()
        try harness.startWorker(plainEndpoint, category: "a", ["--echo"])
        let plain = try capture(endpoint: plainEndpoint, clientFlags: [])

        let marker = Data(Self.marker.utf8)
        #expect(encrypted.count > 1000)
        #expect(encrypted.range(of: marker) == nil)
        #expect(plain.range(of: marker) != nil)
    }

    @Test("thousands of garbage and truncated handshakes and ZAP refusals neither crash nor stall a running batch")
    func garbageHandshakes() async throws {
        defer { harness.shutdown() }
        try cluster.keygen("worker", allowedIn: cluster.workersDirectory)
        try cluster.keygen("client", allowedIn: cluster.clientsDirectory)
        let httpPort = try ProcessHarness.freePort()
        let (broker, endpoint) = try cluster.startBroker(["--http", "127.0.0.1:\(httpPort)"])
        try harness.start(
            binary: "corsair-worker",
            ["--broker", endpoint, "--category", "a", "--simulate", "2ms", "--concurrency", "2"]
                + cluster.clientFlags("worker"))
        try cluster.waitForWorkers(Set(), at: endpoint, client: "client", excluding: true)
        let ids = (1...3000).map { "a\($0)" }
        let submit = try harness.start(
            binary: "corsair", ["submit", "-", "--broker", endpoint, "--json"] + cluster.clientFlags("client"),
            input: ids.joined(separator: " "))
        let port = try #require(endpoint.split(separator: ":").last.flatMap { UInt16($0) })

        let began = ContinuousClock.now
        let halfOpen = Self.holdHalfOpen(at: port, connections: 100)
        defer { halfOpen.forEach { _ = close($0) } }
        let garbage = GarbageRun()
        Thread.detachNewThread { garbage.finish(Self.throwGarbage(at: port, connections: 4000, seed: 17)) }
        try CurveHandshakes.run(
            count: 2000, endpoint: endpoint, serverKeyFile: cluster.file("broker.pub"), wrongServerKeyEvery: 4)
        let sent = garbage.wait()
        let stormTime = ContinuousClock.now - began
        let batchRanThrough = submit.process.isRunning
        print(
            "CurveTrafficTests: \(sent) raw garbage connections, \(halfOpen.count) held half-open, 2000 CURVE "
                + "handshakes with unknown keys (1 in 4 with a wrong server key) in \(stormTime); batch still "
                + "running after: \(batchRanThrough)")
        #expect(sent > 3500)

        #expect(submit.waitForExit(timeout: .seconds(60)) == 0, "\(submit.errors)")
        let results = submit.output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(results.count == ids.count)
        #expect(Set(results) == Set(ids))
        print("CurveTrafficTests: batch of \(ids.count) done \(ContinuousClock.now - began) after the storm began")
        #expect(broker.process.isRunning)
        let status = try harness.run(
            binary: "corsair", ["status", "--broker", endpoint, "--timeout", "2s"] + cluster.clientFlags("client"))
        #expect(status.status == 0, "\(status.errors)")
        let metricsURL = try #require(URL(string: "http://127.0.0.1:\(httpPort)/metrics"))
        let metrics = try await HTTP.text(metricsURL)
        let unknown = Self.counter(#"corsair_auth_refused_total{reason="unknown_key"}"#, in: metrics)
        let bad = Self.counter(#"corsair_auth_refused_total{reason="bad_handshake"}"#, in: metrics)
        print("CurveTrafficTests: broker counted \(unknown) unknown_key and \(bad) bad_handshake refusals")
        // Each handshake has 50 ms before its socket closes; under load many are cut off before ZAP sees them
        // (CI counted 701 of 1 500 with three other long suites running beside this one), so ask for one in five.
        #expect(unknown >= 300, "of 1 500 handshakes with unknown keys")
        #expect(bad > 0)
    }

    /// The value of the Prometheus series `series` in `text`; 0 when missing.
    static func counter(_ series: String, in text: String) -> Int {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { $0.split(separator: " ").last }
            .flatMap { Double($0) }
            .map { Int($0) } ?? 0
    }

    /// Opens `connections` TCP connections to `port` that send the first bytes of a ZMTP greeting and then stall,
    /// left open until the caller closes them.
    static func holdHalfOpen(at port: UInt16, connections: Int) -> [Int32] {
        (0..<connections).compactMap { index in
            guard let descriptor = connectTCP(port) else { return nil }
            let greeting: [UInt8] = [0xFF] + Array(repeating: 0, count: 8) + [0x7F, 3, 0] + Array("CURVE".utf8)
            _ = greeting.prefix(index % greeting.count).withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            return descriptor
        }
    }

    /// A TCP connection to `port` on 127.0.0.1, or `nil`.
    static func connectTCP(_ port: UInt16) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Opens `connections` TCP connections to `port` and writes each something a CURVE server must refuse: random
    /// bytes, a ZMTP 3.0 greeting for CURVE or NULL followed by a truncated or random HELLO, or a truncated greeting.
    /// Returns how many connections were made.
    static func throwGarbage(at port: UInt16, connections: Int, seed: UInt64) -> Int {
        var random = SplitMix64(seed: seed)
        var made = 0
        for index in 0..<connections {
            guard let descriptor = connectTCP(port) else { continue }
            defer { close(descriptor) }
            made += 1
            let bytes = garbage(index, random: &random)
            _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        return made
    }

    static func garbage(_ index: Int, random: inout SplitMix64) -> [UInt8] {
        let noise = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        switch index % 4 {
        case 0:
            return noise
        case 1, 2:
            let mechanism = Array((index % 4 == 1 ? "CURVE" : "NULL").utf8)
            var greeting: [UInt8] = [0xFF] + Array(repeating: 0, count: 8) + [0x7F, 3, 0]
            greeting +=
                mechanism + Array(repeating: 0, count: 20 - mechanism.count) + [0] + Array(repeating: 0, count: 31)
            let hello: [UInt8] = [0x04, 200, 5] + Array("HELLO".utf8) + noise
            return greeting + Array(hello.prefix(Int.random(in: 0...hello.count, using: &random)))
        default:
            let greeting: [UInt8] = [0xFF] + Array(repeating: 0, count: 8) + [0x7F, 3, 0] + Array("CURVE".utf8)
            return Array(greeting.prefix(Int.random(in: 0..<greeting.count, using: &random)))
        }
    }
}

/// The raw garbage thrower's thread: how many connections it made, once it has finished.
private final class GarbageRun: Sendable {
    private let made = Mutex(0)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ connections: Int) {
        made.withLock { $0 = connections }
        done.signal()
    }

    func wait() -> Int {
        done.wait()
        return made.withLock { $0 }
    }
}
