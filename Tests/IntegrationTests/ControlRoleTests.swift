import CorsairTestSupport
import Foundation
import Testing

/// Cancel and shutdown under CURVE with allow lists, with real processes: they are client messages, so a key allowed
/// only as a worker can neither take tasks back nor stop the cluster; a client key can do both.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct ControlRoleTests {
    let harness: ProcessHarness
    let cluster: CurveCluster

    init() throws {
        harness = try ProcessHarness()
        cluster = try CurveCluster(harness: harness)
    }

    /// Runs `corsair COMMAND --broker ENDPOINT ARGUMENTS…` with the CURVE key `key`.
    func corsair(
        _ command: String, _ arguments: [String], at endpoint: String, key: String
    ) throws -> ProcessHarness.Outcome {
        try harness.run(
            binary: "corsair", [command, "--broker", endpoint] + arguments + cluster.clientFlags(key))
    }

    @Test("a worker key cannot cancel or shut down (77, the broker says why, nothing changes); a client key can")
    func workerKeyCannotControl() throws {
        defer { harness.shutdown() }
        try cluster.keygen("worker", allowedIn: cluster.workersDirectory)
        try cluster.keygen("client", allowedIn: cluster.clientsDirectory)
        let (broker, endpoint) = try cluster.startBroker()
        let worker = try harness.start(
            binary: "corsair-worker",
            ["--broker", endpoint, "--category", "a", "--echo", "--id", "w"] + cluster.clientFlags("worker"))
        try cluster.waitForWorkers(["w"], at: endpoint, client: "client")
        let submit = try harness.start(
            binary: "corsair",
            ["submit", "--broker", endpoint, "--json", "--batch", "held", "--category", "nobody", "-"]
                + cluster.clientFlags("client"),
            input: "h1")
        try harness.waitUntil("h1 is queued") {
            try corsair("tasks", ["--state", "queued", "--json"], at: endpoint, key: "client").output.contains("h1")
        }

        for (command, arguments) in [("cancel", ["--batch", "held", "--all"]), ("shutdown", [])] {
            let refused = try corsair(command, arguments, at: endpoint, key: "worker")
            #expect(refused.status == 77, "corsair \(command): \(refused.output)")
            #expect(refused.errors.contains("not allowed as a client"), "corsair \(command): \(refused.errors)")
        }
        let queued = try corsair("tasks", ["--state", "queued", "--json"], at: endpoint, key: "client")
        #expect(queued.output.contains("h1"), "the refused cancel changed nothing")
        #expect(broker.process.isRunning && worker.process.isRunning, "the refused shutdown stopped nothing")

        let cancel = try corsair("cancel", ["--batch", "held", "--all"], at: endpoint, key: "client")
        #expect(cancel.status == 0, "\(cancel.errors)")
        #expect(submit.waitForExit(timeout: .seconds(20)) == 1, "\(submit.errors)")
        #expect(try ResultLine.parse(submit.output).map(\.status) == ["cancelled"])
        let stop = try corsair("shutdown", ["--wait"], at: endpoint, key: "client")
        #expect(stop.status == 0, "\(stop.errors)")
        for child in [worker, broker] {
            #expect(child.waitForExit(timeout: .seconds(10)) == 0, "\(child.errors)")
        }
    }
}
