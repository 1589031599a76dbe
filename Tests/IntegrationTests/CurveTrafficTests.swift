import CorsairTestSupport
import Foundation
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

    @Test("thousands of garbage and truncated handshakes neither crash nor stall the broker while a batch runs")
    func garbageHandshakes() async throws {
        defer { harness.shutdown() }
        try cluster.keygen("worker", allowedIn: cluster.workersDirectory)
        try cluster.keygen("client", allowedIn: cluster.clientsDirectory)
        let (broker, endpoint) = try cluster.startBroker()
        try harness.start(
            binary: "corsair-worker",
            ["--broker", endpoint, "--category", "a", "--simulate", "1ms", "--concurrency", "8"]
                + cluster.clientFlags("worker"))
        try cluster.waitForWorkers(Set(), at: endpoint, client: "client", excluding: true)
        let batch = (1...3000).map { "a\($0)" }.joined(separator: " ")
        let submit = try harness.start(
            binary: "corsair", ["submit", "-", "--broker", endpoint] + cluster.clientFlags("client"), input: batch)
        let port = try #require(endpoint.split(separator: ":").last.flatMap { UInt16($0) })
        let sent = Self.throwGarbage(at: port, connections: 3000, seed: 17)
        #expect(sent > 2500)
        #expect(submit.waitForExit(timeout: .seconds(60)) == 0, "\(submit.errors)")
        #expect(broker.process.isRunning)
        let status = try harness.run(
            binary: "corsair", ["status", "--broker", endpoint, "--timeout", "2s"] + cluster.clientFlags("client"))
        #expect(status.status == 0, "\(status.errors)")
        #expect(broker.errors.contains("refusals.suppressed") || broker.errors.contains("reason=bad_handshake"))
    }

    /// Opens `connections` TCP connections to `port` and writes each something a CURVE server must refuse: random
    /// bytes, a ZMTP 3.0 greeting for CURVE or NULL followed by a truncated or random HELLO, or nothing at all.
    /// Returns how many connections were made.
    static func throwGarbage(at port: UInt16, connections: Int, seed: UInt64) -> Int {
        var random = SplitMix64(seed: seed)
        var made = 0
        for index in 0..<connections {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { continue }
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
            return []
        }
    }
}
