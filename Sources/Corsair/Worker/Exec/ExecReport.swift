#if canImport(Glibc)
import Glibc
#endif

/// How an `--exec` command's leader ended, from its `wait4` status.
enum ExecTermination: Hashable {
    /// It exited with this status.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// Decodes a `wait` status (the `WIFEXITED`/`WTERMSIG` macros, which Swift does not import).
    init(waitStatus: Int32) {
        let signal = waitStatus & 0x7f
        self = signal == 0 ? .exited((waitStatus >> 8) & 0xff) : .signaled(signal)
    }
}

/// Why the worker ended an `--exec` command itself.
enum ExecStop: Hashable {
    /// Standard output passed the result limit.
    case resultTooLarge
    /// The task was cancelled: its deadline passed, or the worker is stopping.
    case cancelled
}

/// What one run of an `--exec` command came to, and the task's outcome from it.
struct ExecReport {
    /// The command, for messages.
    var command: [String]
    /// How the command's leader ended.
    var termination: ExecTermination
    /// Why the worker ended it, if it did.
    var stop: ExecStop?
    /// Its standard output, up to the result limit.
    var output: BoundedOutput
    /// The end of its standard error.
    var errors: OutputTail
    /// The CPU time the leader and the children it waited for used.
    var cpuTime: Duration
    /// The limits it ran under.
    var options: ExecOptions

    /// The task's outcome: the output when the command exited 0; otherwise a failure that says what happened.
    var result: Result<[UInt8], TaskFailure> {
        let name = "'\(command.joined(separator: " "))'"
        switch stop {
        case .resultTooLarge:
            let what = "\(name) wrote more than \(output.limit) bytes to standard output"
            return .failure(ResultLimit.failure(what, limit: output.limit))
        case .cancelled:
            return .failure(TaskFailure("cancelled: \(name) was killed with its process group"))
        case nil:
            break
        }
        var notes: [String] = []
        var isRetryable = true
        switch termination {
        case .exited(0):
            return .success(output.bytes)
        case .exited(let status):
            notes.append("\(name) exited with status \(status)")
        case .signaled(let signal):
            notes.append("\(name) was killed by signal \(signal) (\(Self.signalName(signal)))")
            if let limit = options.cpuLimit, signal == SIGXCPU || (signal == SIGKILL && cpuTime >= limit) {
                notes.append("over its CPU time limit of \(DurationParser.format(limit)) (--exec-cpu-limit)")
                isRetryable = false
            }
        }
        if let limit = options.memoryLimit {
            notes.append("it ran with its address space limited to \(limit) bytes (--exec-memory-limit)")
        }
        let tail = errors.text
        return .failure(
            TaskFailure(notes.joined(separator: "; ") + (tail.isEmpty ? "" : ": \(tail)"), isRetryable: isRetryable))
    }

    /// The usual name of `signal` on Linux, or `signal N`.
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
