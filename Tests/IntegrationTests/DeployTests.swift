import CorsairTestSupport
import Foundation
import Testing

/// `Deploy/netns-cluster.sh`: a broker, two worker hosts and a client in network namespaces of their own, one worker
/// host cut off mid-batch and brought back.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct DeployTests {
    static let deploy = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy")

    /// Root, and an `ip` that can list network namespaces.
    static var canRun: Bool {
        guard getuid() == 0 else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["ip", "netns", "list"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    @Test(
        "moves a cut-off host's tasks to the other host and lets it register again",
        .enabled(if: canRun, "needs root and `ip netns`: skipped")
    )
    func networkNamespaceCluster() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let run = try harness.run(
            URL(fileURLWithPath: "/bin/bash"),
            [
                Self.deploy.appendingPathComponent("netns-cluster.sh").path, "--bin",
                ProcessHarness.productsDirectory.path,
            ],
            timeout: .seconds(90))
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        #expect(run.output.contains("tasks: 40 results for 40 ids, 40 succeeded"))
        #expect(run.output.contains("host1 registered again"))
        #expect(run.output.hasSuffix("netns-cluster: OK\n"))
    }

    @Test(
        "cuts the active broker's host off mid-batch: the standby takes over, every task once, the old one stands by",
        .enabled(if: canRun && TestPostgres.enabled, "needs root, `ip netns` and PostgreSQL: skipped")
    )
    func brokerFailover() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let run = try harness.run(
            URL(fileURLWithPath: "/bin/bash"),
            [
                Self.deploy.appendingPathComponent("netns-failover.sh").path, "--bin",
                ProcessHarness.productsDirectory.path,
            ],
            timeout: .seconds(100))
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        #expect(run.output.contains("tasks: 2000 results for 2000 ids, 2000 succeeded"))
        let takeover = run.output.split(separator: "\n").first { $0.hasPrefix("from the cut to the first task") }
        print("DeployTests.brokerFailover: \(takeover ?? "no takeover time printed")")
        #expect(run.output.hasSuffix("netns-failover: OK\n"))
    }
}
