import CorsairTestSupport
import Foundation

/// Runs Python peers: majortomo (an MDP/0.2 implementation from PyPI, installed by the test command) and our own
/// RFC 18 scripts in `Peers/`.
enum Python {
    /// `Peers/` beside this file.
    static let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers")
    static let interpreter = URL(fileURLWithPath: "/usr/bin/env")

    /// Fails with a clear message when the Python peers are not installed.
    static func requireMajortomo() throws {
        let check = Process()
        check.executableURL = interpreter
        check.arguments = ["python3", "-c", "import zmq, majortomo"]
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        guard check.terminationStatus == 0 else {
            throw HarnessError(
                "python3 with pyzmq and majortomo is needed for the interop tests: run Tests/run.sh, which installs them"
            )
        }
    }

    static func start(_ harness: ProcessHarness, _ arguments: [String]) throws -> ProcessHarness.Child {
        try start(harness, arguments, name: "python")
    }

    static func start(_ harness: ProcessHarness, _ arguments: [String], name: String) throws -> ProcessHarness.Child {
        try harness.start(interpreter, ["python3", "-u"] + arguments, name: name)
    }
}
