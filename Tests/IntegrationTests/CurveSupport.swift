import CorsairTestSupport
import Foundation
import Testing

/// Keys and a CURVE broker for the security tests: a broker key, worker keys in one allow directory, client keys in
/// another, and keys in neither.
struct CurveCluster {
    let harness: ProcessHarness
    let keys: URL
    let workersDirectory: URL
    let clientsDirectory: URL

    init(harness: ProcessHarness) throws {
        self.harness = harness
        keys = harness.path("keys")
        workersDirectory = keys.appendingPathComponent("workers")
        clientsDirectory = keys.appendingPathComponent("clients")
        for directory in [workersDirectory, clientsDirectory] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        try keygen("broker")
    }

    /// Runs `corsair keygen NAME` into the keys directory and moves the `.pub` into `allowedIn`, when given.
    func keygen(_ name: String, allowedIn directory: URL? = nil) throws {
        let outcome = try harness.run(binary: "corsair", ["keygen", name, "--dir", keys.path])
        try #require(outcome.status == 0, "\(outcome.errors)")
        if let directory {
            try FileManager.default.copyItem(
                at: keys.appendingPathComponent("\(name).pub"), to: directory.appendingPathComponent("\(name).pub"))
        }
    }

    /// The path of `NAME.key` or `NAME.pub`.
    func file(_ name: String) -> String { keys.appendingPathComponent(name).path }

    /// The flags that make a worker or client talk CURVE with key `name`.
    func clientFlags(_ name: String) -> [String] {
        ["--curve-server-key", file("broker.pub"), "--curve-key", file("\(name).key")]
    }

    /// Starts a CURVE broker with both allow directories; returns it with its endpoint.
    func startBroker(_ arguments: [String] = []) throws -> (ProcessHarness.Child, String) {
        try harness.startBroker(
            [
                "--curve-secret-key", file("broker.key"), "--allow-workers", workersDirectory.path,
                "--allow-clients", clientsDirectory.path,
            ] + arguments)
    }

    /// The workers `corsair workers --json` lists, as (id, key) pairs, asked with client key `client`.
    func workers(at endpoint: String, client: String) throws -> [(id: String, key: String?)] {
        let outcome = try harness.run(
            binary: "corsair", ["workers", "--broker", endpoint, "--json"] + clientFlags(client))
        guard outcome.status == 0,
            let list = try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [[String: Any]]
        else {
            throw HarnessError("corsair workers failed (\(outcome.status)): \(outcome.errors)")
        }
        return list.map { ($0["id"] as? String ?? "", $0["key"] as? String) }
    }

    /// Waits until the broker lists exactly the workers `ids`, or with `excluding` any worker but those.
    func waitForWorkers(_ ids: Set<String>, at endpoint: String, client: String, excluding: Bool = false) throws {
        try harness.waitUntil("the broker lists workers \(excluding ? "other than " : "")\(ids.sorted())") {
            let listed = Set(try workers(at: endpoint, client: client).map(\.id))
            return excluding ? !listed.isEmpty && listed.isDisjoint(with: ids) : listed == ids
        }
    }
}
