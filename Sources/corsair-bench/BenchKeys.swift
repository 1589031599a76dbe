import Corsair
import Foundation
import ZeroMQ

/// The CURVE keys of a `--curve` run, written to a temporary directory: the broker's, one worker key allowed in
/// `workers/`, one client key allowed in `clients/`. The bench's own load generator uses the client key in memory.
struct BenchKeys {
    let directory: URL
    let client: CurveClientKeys

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-bench-keys-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        for sub in ["workers", "clients"] {
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let broker = try CurveKeyPair.generate()
        _ = try CurveKeyFile.write(broker, name: "broker", directory: directory.path)
        _ = try CurveKeyFile.write(
            try CurveKeyPair.generate(), name: "worker", directory: directory.appendingPathComponent("workers").path)
        let clientPair = try CurveKeyPair.generate()
        _ = try CurveKeyFile.write(
            clientPair, name: "bench", directory: directory.appendingPathComponent("clients").path)
        client = CurveClientKeys(serverKey: broker.publicKey, keyPair: clientPair)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The broker's CURVE flags.
    var brokerArguments: [String] {
        [
            "--curve-secret-key", path("broker.key"), "--allow-workers", path("workers"), "--allow-clients",
            path("clients"),
        ]
    }

    /// A worker's CURVE flags.
    var workerArguments: [String] {
        ["--curve-server-key", path("broker.pub"), "--curve-key", path("workers/worker.key")]
    }

    /// Deletes the keys.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
