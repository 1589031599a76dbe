import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program per task: the payload on its standard input, its standard output is the result, a non-zero exit or
/// a signal is a failure that carries the end of its standard error.
///
/// No command can take the worker down or hold its task past the rules below (see ``ExecSession``):
/// - a command that does not read its input gets as much of it as it takes; its exit status decides the task;
/// - standard output is read up to the task's ``WorkerTask/maxResultBytes``; past it the command's process group is
///   killed and the task fails for good with `result_too_large`, so the worker holds at most its concurrency times
///   that limit of results;
/// - once the command has exited, its pipes stay open ``ExecOptions/pipeGrace`` (250 ms) for what its background
///   processes still write; then its process group is killed and the task ends with what was read;
/// - cancelling the task (its deadline passed, see ``WorkerService``) kills the process group.
///
/// ``ExecOptions`` adds per-task limits and isolation. Each attempt runs on a thread of its own, since the pipes are
/// served with blocking `poll`.
public struct ExecHandler: Sendable {
    /// The program and its arguments; the program is looked up in `PATH`.
    public let command: [String]
    /// The limits and isolation each run gets.
    public let options: ExecOptions

    /// Creates a handler for `command`, run under `options`.
    public init(command: [String], options: ExecOptions = ExecOptions()) {
        precondition(!command.isEmpty, "--exec needs a command")
        self.command = command
        self.options = options
    }

    /// The handler to give a worker.
    public var handler: TaskHandler {
        let command = command
        let options = options
        return { task in
            #if canImport(Glibc)
            // Wakes the session's `poll` when the task is cancelled; sealed when the session ends, so a late cancel
            // queues nothing.
            let cancellation: Mailbox<Void>
            do {
                cancellation = try Mailbox()
            } catch {
                throw TaskFailure("cannot run '\(command[0])': \(error)")
            }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    Thread.startNamed("worker-exec") {
                        continuation.resume(with: Self.run(command, options: options, task: task, cancellation))
                    }
                }
            } onCancel: {
                cancellation.post(())
            }
            #else
            throw TaskFailure("--exec needs Linux", isRetryable: false)
            #endif
        }
    }

    #if canImport(Glibc)
    /// Runs one attempt on the calling thread, which it dedicates to the command until it ends.
    private static func run(
        _ command: [String],
        options: ExecOptions,
        task: WorkerTask,
        _ cancellation: Mailbox<Void>
    ) -> Result<[UInt8], TaskFailure> {
        defer { _ = cancellation.seal() }
        ExecSession.blockBrokenPipe()
        var directory: String?
        if let root = options.workdirRoot {
            var template = Array("\(root)/task-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                let reason = String(cString: strerror(errno))
                return .failure(TaskFailure("cannot make a working directory in \(root): \(reason)"))
            }
            directory = String(cString: made)
        }
        defer {
            if let directory {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        let environment = ExecEnvironment.entries(
            base: ProcessInfo.processInfo.environment, allowList: options.environmentAllowList, task: task, now: Date())
        let child: ExecChild
        do {
            child = try ExecChild.spawn(command, environment: environment, directory: directory, options: options)
        } catch {
            return .failure(TaskFailure(error.description))
        }
        var session = ExecSession(
            child: child, payload: task.payload, cancellation: cancellation, resultLimit: task.maxResultBytes,
            options: options)
        return session.run(command: command, options: options).result
    }
    #endif
}
