import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program per task: the payload on its standard input, its standard output is the result, a non-zero exit is
/// a failure that carries the tail of its standard error. Cancelling the task (its deadline passed, see
/// ``WorkerService``) kills the program's whole process group.
public struct ExecHandler: Sendable {
    /// The program and its arguments; the program is looked up in `PATH`.
    public let command: [String]
    /// How much of standard error a failure message keeps (its end).
    public static let errorTailBytes = 2048

    /// Creates a handler for `command`.
    public init(command: [String]) {
        precondition(!command.isEmpty, "--exec needs a command")
        self.command = command
    }

    /// The handler to give a worker.
    public var handler: TaskHandler {
        let command = command
        return { task in
            let child = ChildProcess()
            // Process I/O blocks, so it runs on a Dispatch thread rather than tying up the cooperative pool.
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    DispatchQueue.global().async {
                        continuation.resume(with: Result { try Self.run(command, input: task.payload, child: child) })
                    }
                }
            } onCancel: {
                child.kill()
            }
        }
    }

    private static func run(_ command: [String], input: [UInt8], child: ChildProcess) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw TaskFailure("cannot start '\(command[0])': \(error.localizedDescription)")
        }
        // Foundation starts the child as the leader of its own process group, so its children die with it.
        child.started(process.processIdentifier)
        defer { child.exited() }
        let group = DispatchGroup()
        // Review note: each buffer is written by one Dispatch block and read only after `group.wait()`, which orders
        // the write before the read; no other access exists.
        nonisolated(unsafe) var output = Data()
        nonisolated(unsafe) var errors = Data()
        DispatchQueue.global().async(group: group) {
            output = stdout.fileHandleForReading.readDataToEndOfFile()
        }
        DispatchQueue.global().async(group: group) {
            errors = stderr.fileHandleForReading.readDataToEndOfFile()
        }
        // A program that exits without reading its input closes the pipe; the write error is not the task's failure.
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how =
                process.terminationReason == .exit
                ? "exited with status \(process.terminationStatus)"
                : "was killed by signal \(process.terminationStatus)"
            let tail = String(decoding: errors.suffix(errorTailBytes), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw TaskFailure("'\(command.joined(separator: " "))' \(how)\(tail.isEmpty ? "" : ": \(tail)")")
        }
        return Array(output)
    }
}

/// The process group of a running `--exec` child, so that cancellation can kill it from another thread.
private final class ChildProcess: Sendable {
    private struct State {
        var group: pid_t?
        var isCancelled = false
    }

    private let state = Mutex(State())

    /// Records the child's process group; kills it at once if the task was cancelled before it started.
    func started(_ pid: pid_t) {
        let cancelled = state.withLock { state in
            state.group = pid
            return state.isCancelled
        }
        if cancelled {
            Glibc.kill(-pid, SIGKILL)
        }
    }

    /// Forgets the group once the child has been reaped, so a reused pid is never signalled.
    func exited() {
        state.withLock { $0.group = nil }
    }

    /// Kills the child's whole process group with SIGKILL.
    func kill() {
        let group = state.withLock { state in
            state.isCancelled = true
            return state.group
        }
        if let group {
            Glibc.kill(-group, SIGKILL)
        }
    }
}
