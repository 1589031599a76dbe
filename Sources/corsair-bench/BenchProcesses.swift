import CorsairCLI
import Foundation
import Synchronization

/// The child processes of one `corsair-bench` run: started from the directory the `corsair-bench` binary is in, stopped
/// (SIGTERM, then SIGKILL after a second) however the run ends.
///
/// Each child runs in a process group of its own, so a terminal's Ctrl-C reaches only the bench: every live child is
/// also listed process-wide, for ``killAll()`` to stop when the bench is interrupted.
final class BenchProcesses {
    /// The process ids of every bench child started and not yet stopped, across all instances.
    private static let running = Mutex<Set<Int32>>([])

    private var children: [Process] = []
    private let directory: URL

    init() {
        directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    deinit {
        stopAll()
    }

    /// Starts `binary` (a sibling of this executable) with `arguments`, its output discarded.
    @discardableResult
    func start(_ binary: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = directory.appendingPathComponent(binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Self.running.withLock { running in
            try process.run()
            running.insert(process.processIdentifier)
        }
        children.append(process)
        return process
    }

    /// Starts a peer of the bench's own (`corsair-bench peer ARGUMENTS`): see ``PeerCommand``.
    @discardableResult
    func startPeer(_ arguments: [String]) throws -> Process {
        try start("corsair-bench", ["peer"] + arguments)
    }

    /// Starts a Corsair echo worker of the category `bench` that takes up to `credit` tasks at once.
    func startEchoWorker(_ endpoint: String, credit: Int) throws {
        try start(
            "corsair-worker",
            [
                "--broker", endpoint, "--category", "bench", "--echo", "--concurrency", "\(credit)", "--log-level",
                "error",
            ])
    }

    /// Starts a broker on a free loopback port and returns it with its endpoint once it listens.
    ///
    /// - Parameter journal: the journal file and its sync mode, or `nil` for an in-memory broker.
    func startBroker(journal: (path: String, sync: String)? = nil) throws -> (Process, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-bench-\(getpid()).endpoint")
        try? FileManager.default.removeItem(at: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let journalArguments =
            journal.map { ["--journal", $0.path, "--journal-sync", $0.sync] } ?? ["--journal", "none"]
        let broker = try start(
            "corsair-broker",
            [
                "--bind", "tcp://127.0.0.1:*", "--endpoint-file", file.path, "--task-timeout", "10m",
                "--queue-timeout", "10m", "--log-level", "error",
            ] + journalArguments)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let endpoint = text.split(separator: "\n").first
            {
                return (broker, String(endpoint))
            }
            guard broker.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw BenchError("the broker did not start listening")
    }

    /// Stops every child this instance started: SIGTERM, then SIGKILL to those still running a second later.
    func stopAll() {
        for child in children where child.isRunning {
            kill(child.processIdentifier, SIGTERM)
        }
        for child in children {
            let deadline = ContinuousClock.now + .seconds(1)
            while child.isRunning, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
            if child.isRunning {
                kill(child.processIdentifier, SIGKILL)
            }
            child.waitUntilExit()
            _ = Self.running.withLock { $0.remove(child.processIdentifier) }
        }
        children.removeAll()
    }

    /// Kills every bench child still running, whichever run started it, waits (up to a second) until they are dead,
    /// and returns how many there were. For an interrupted bench: the children are disposable, so they get SIGKILL at
    /// once rather than a graceful stop.
    static func killAll() -> Int {
        let pids = running.withLock { running in
            defer { running.removeAll() }
            return running
        }
        for pid in pids {
            kill(pid, SIGKILL)
        }
        let deadline = ContinuousClock.now + .seconds(1)
        while pids.contains(where: isAlive), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        return pids.count
    }

    /// Whether `pid` is a process that has not exited: `/proc` lists it, and not as a zombie waiting to be reaped.
    private static func isAlive(_ pid: Int32) -> Bool {
        guard let fields = try? ProcessUsage.statFields(of: pid) else { return false }
        return fields.first != "Z"
    }
}
