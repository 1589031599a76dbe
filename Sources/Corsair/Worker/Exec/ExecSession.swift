#if canImport(Glibc)
import Glibc
// A release build looks up `timeval` and `timespec` members through the runtime's overlay module; with
// MemberImportVisibility on, that module must be imported by name (a debug build finds them through Glibc).
#if canImport(SwiftOverlayShims)
import SwiftOverlayShims
#endif

/// One run of an `--exec` command, on a thread of its own: feeds it the payload, reads its standard output up to the
/// result limit and the end of its standard error, and waits for it to exit. Then it kills the command's process
/// group and reaps the command.
///
/// The run ends when
/// - the command has exited and both its outputs are closed;
/// - the command has exited and ``ExecOptions/pipeGrace`` has passed, while something it started still holds an
///   output open (`cmd &` in a script): the task ends with what was read;
/// - standard output passes the result limit (``ExecStop/resultTooLarge``);
/// - the task is cancelled (``ExecStop/cancelled``).
///
/// A command that does not read its input is no failure: the rest of the payload is dropped, and SIGPIPE, blocked on
/// this thread, never reaches the worker.
struct ExecSession {
    private var child: ExecChild
    private let payload: [UInt8]
    /// Posted to when the task is cancelled; its descriptor turns readable then.
    private let cancellation: Mailbox<Void>
    private let grace: Duration
    private var written = 0
    private var output: BoundedOutput
    private var errors: OutputTail
    private var exitedAt: ContinuousClock.Instant?
    private var stop: ExecStop?
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    /// Prepares the run of `child`, which gets `payload` on its standard input.
    init(child: ExecChild, payload: [UInt8], cancellation: Mailbox<Void>, resultLimit: Int, options: ExecOptions) {
        self.child = child
        self.payload = payload
        self.cancellation = cancellation
        self.grace = options.pipeGrace
        self.output = BoundedOutput(limit: resultLimit)
        self.errors = OutputTail(capacity: options.errorTailBytes)
    }

    /// Runs until one of the ends above, then kills the process group, reaps the command and closes its pipes.
    mutating func run(command: [String], options: ExecOptions) -> ExecReport {
        if payload.isEmpty {
            closeInput()
        }
        while stop == nil && !isDone {
            waitForEvents()
        }
        closeInput()
        child.killGroup()
        let (termination, cpuTime) = child.reap()
        child.closeDescriptors()
        return ExecReport(
            command: command, termination: termination, stop: stop, output: output, errors: errors, cpuTime: cpuTime,
            options: options)
    }

    private var isDone: Bool {
        guard let exitedAt else { return false }
        return (child.output < 0 && child.errors < 0) || ContinuousClock.now - exitedAt >= grace
    }

    /// Waits in `poll` for the next thing to do and does it.
    private mutating func waitForEvents() {
        var descriptors = [
            pollfd(fd: cancellation.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: child.input, events: Int16(POLLOUT), revents: 0),
            pollfd(fd: child.output, events: Int16(POLLIN), revents: 0),
            pollfd(fd: child.errors, events: Int16(POLLIN), revents: 0),
            pollfd(fd: exitedAt == nil ? child.exitDescriptor ?? -1 : -1, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&descriptors, nfds_t(descriptors.count), pollTimeout)
        guard ready >= 0 else { return }  // EINTR: go round again
        if descriptors[0].revents != 0 {
            stop = .cancelled
            return
        }
        if descriptors[1].revents != 0 {
            feedInput()
        }
        if descriptors[2].revents != 0 {
            readOutput()
        }
        if descriptors[3].revents != 0 {
            readErrors()
        }
        if exitedAt == nil && (child.exitDescriptor == nil || descriptors[4].revents != 0) && hasExited {
            exitedAt = .now
        }
    }

    /// Milliseconds `poll` may wait: until the grace period ends once the command has exited, 10 ms while its exit
    /// can only be noticed by asking (no pidfd), else until something happens.
    private var pollTimeout: Int32 {
        if let exitedAt {
            let left = grace - (ContinuousClock.now - exitedAt)
            let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
            return Int32(max(0, milliseconds) + 1)
        }
        return child.exitDescriptor == nil ? 10 : -1
    }

    /// Whether the command's leader has exited; it is left unreaped, so its process group id stays its own.
    private var hasExited: Bool {
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return result == 0 && info._sifields._sigchld.si_pid == child.pid
    }

    /// Writes the next part of the payload; closes the pipe when all is written or the command closed its end.
    private mutating func feedInput() {
        let descriptor = child.input
        let start = written
        let count = payload.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return 0 }
            return write(descriptor, base + start, min(bytes.count - start, 64 * 1024))
        }
        if count > 0 {
            written += count
            if written == payload.count {
                closeInput()
            }
        } else if count < 0 && errno != EAGAIN && errno != EINTR {
            if errno == EPIPE {
                Self.discardPendingBrokenPipe()
            }
            closeInput()
        }
    }

    private mutating func readOutput() {
        let descriptor = child.output
        let size = output.readSize(chunk: scratch.count)
        let count = read(descriptor, &scratch, size)
        if count > 0 {
            if !output.append(scratch.prefix(count)) {
                stop = .resultTooLarge
            }
        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
            close(child.output)
            child.output = -1
        }
    }

    private mutating func readErrors() {
        let descriptor = child.errors
        let size = scratch.count
        let count = read(descriptor, &scratch, size)
        if count > 0 {
            errors.append(scratch.prefix(count))
        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
            close(child.errors)
            child.errors = -1
        }
    }

    private mutating func closeInput() {
        if child.input >= 0 {
            close(child.input)
            child.input = -1
        }
    }

    /// Blocks SIGPIPE on the calling thread, so that writing to a command that closed its input fails with EPIPE
    /// instead of killing the worker, whatever the host program does with SIGPIPE. Call it on the thread that runs
    /// the session, which is the thread the kernel sends SIGPIPE to.
    static func blockBrokenPipe() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Takes the SIGPIPE an EPIPE left pending on this thread, so it is never delivered later.
    private static func discardPendingBrokenPipe() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var zero = timespec()
        _ = sigtimedwait(&set, nil, &zero)
    }
}
#endif
