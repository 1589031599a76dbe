import CorsairTestSupport
import Foundation
import Testing

/// Broker discovery on a LAN: a broker announcing itself with `--announce`, a worker and a client finding it with
/// `--discover`. Every process runs in a network namespace of its own, on one bridge the test builds and removes, so
/// no beacon touches this machine's own interfaces.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct DiscoveryTests {
    let harness: ProcessHarness
    let lan: NamespaceLAN

    init() throws {
        harness = try ProcessHarness()
        lan = NamespaceLAN(prefix: "crd\(getpid() % 100_000)", hosts: ["broker", "worker", "client"])
    }

    /// Runs `binary` inside `host`'s namespace.
    func start(
        _ host: String, _ binary: String, _ arguments: [String], input: String? = nil
    ) throws
        -> ProcessHarness.Child
    {
        let path = ProcessHarness.productsDirectory.appendingPathComponent(binary).path
        return try harness.start(
            NamespaceLAN.ip, ["netns", "exec", lan.namespace(host), path] + arguments, input: input)
    }

    @Test(
        "a worker and a client find the broker by name; garbage and other brokers' beacons are ignored and counted",
        .enabled(if: DeployTests.canRun, "needs root and `ip netns`: skipped")
    )
    func discoversBroker() throws {
        defer {
            harness.shutdown()
            lan.remove()
        }
        try lan.build()
        let broadcast = "\(NamespaceLAN.subnet).255:5670"
        let worker = try start(
            "worker", "corsair-worker", ["--discover", "lab", "--category", "a", "--echo", "--id", "disco"])
        try harness.waitUntil("the worker listens for beacons") {
            try lan.run("worker", ["ss", "-Hlun", "sport = :5670"]).contains("5670") || !worker.process.isRunning
        }
        _ = try start(
            "broker", "corsair-broker",
            ["--bind", "tcp://0.0.0.0:5556", "--announce", "other", "--announce-to", broadcast, "--journal", "none"])
        _ = try lan.run("client", ["bash", "-c", "printf junk > /dev/udp/\(NamespaceLAN.subnet).2/5670"])
        let broker = try start(
            "broker", "corsair-broker",
            ["--bind", "tcp://0.0.0.0:5555", "--announce", "lab", "--announce-to", broadcast, "--journal", "none"])
        try harness.waitUntil("the worker found the broker") {
            worker.errors.contains("broker discovered") || !worker.process.isRunning
        }
        let found = try #require(worker.errors.split(separator: "\n").first { $0.contains("broker discovered") })
        #expect(found.contains("tcp://\(NamespaceLAN.subnet).1:5555"), "\(found)")
        let ignored = found.split(separator: " ").first { $0.hasPrefix("discovery.ignored=") }
        #expect(Int(ignored?.dropFirst("discovery.ignored=".count) ?? "") ?? 0 >= 1, "the junk datagram: \(found)")

        let submit = try start("client", "corsair", ["submit", "--discover", "lab", "--json", "-"], input: "a1 a2")
        #expect(submit.waitForExit(timeout: .seconds(30)) == 0, "\(submit.errors)")
        let results = try ResultLine.parse(submit.output)
        #expect(results.map(\.status) == ["succeeded", "succeeded"])
        #expect(results.map(\.worker) == ["disco", "disco"])
        let workers = try start("client", "corsair", ["workers", "--discover", "--discover-timeout", "3s"])
        #expect(workers.waitForExit(timeout: .seconds(10)) == 69, "nobody announces the default name 'corsair'")
        #expect(workers.errors.contains("no broker named 'corsair' announced itself"), "\(workers.errors)")
        #expect(broker.process.isRunning)
    }
}

/// Network namespaces joined by one bridge (itself in a namespace), with hosts at `10.78.0.N/24`.
struct NamespaceLAN {
    static let ip = URL(fileURLWithPath: "/usr/sbin/ip")
    static let subnet = "10.78.0"
    let prefix: String
    let hosts: [String]

    func namespace(_ host: String) -> String { "\(prefix)-\(host)" }

    /// Creates the bridge and one namespace per host, host `i` at `.i+1`, each with its veth on the bridge.
    func build() throws {
        let bridge = namespace("lan")
        try Self.ipCommand(["netns", "add", bridge])
        try Self.ipCommand(["-n", bridge, "link", "add", "br0", "type", "bridge"])
        try Self.ipCommand(["-n", bridge, "link", "set", "br0", "up"])
        for (index, host) in hosts.enumerated() {
            let name = namespace(host)
            let port = "p\(index)"
            try Self.ipCommand(["netns", "add", name])
            try Self.ipCommand([
                "link", "add", "veth\(index)", "netns", name, "type", "veth", "peer", "name", port, "netns", bridge,
            ])
            try Self.ipCommand(["-n", name, "link", "set", "veth\(index)", "name", "eth0"])
            try Self.ipCommand([
                "-n", name, "addr", "add", "\(Self.subnet).\(index + 1)/24", "broadcast", "\(Self.subnet).255", "dev",
                "eth0",
            ])
            for link in ["eth0", "lo"] {
                try Self.ipCommand(["-n", name, "link", "set", link, "up"])
            }
            try Self.ipCommand(["-n", bridge, "link", "set", port, "master", "br0"])
            try Self.ipCommand(["-n", bridge, "link", "set", port, "up"])
        }
    }

    /// Deletes every namespace it made (their veths go with them).
    func remove() {
        for host in hosts + ["lan"] {
            _ = try? Self.ipCommand(["netns", "del", namespace(host)])
        }
    }

    /// Runs `command` inside `host`'s namespace and returns its standard output.
    func run(_ host: String, _ command: [String]) throws -> String {
        try Self.ipCommand(["netns", "exec", namespace(host)] + command)
    }

    @discardableResult
    private static func ipCommand(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = ip
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError("ip \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
