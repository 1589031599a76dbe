#if canImport(Glibc)
import Glibc
// A release build looks up `timeval` and `timespec` members through the runtime's overlay module; with
// MemberImportVisibility on, that module must be imported by name (a debug build finds them through Glibc).
#if canImport(SwiftOverlayShims)
import SwiftOverlayShims
#endif

/// A started `--exec` command: its process id, which is also its process group's, and the worker's ends of its
/// pipes. Owned by the thread that runs the command's ``ExecSession``.
///
/// It is started with glibc's `posix_spawnp` rather than Foundation's `Process` (or swift-subprocess), because the
/// worker needs each of these and none of those offer them all: a new process group, signals reset to their defaults
/// (the worker ignores SIGPIPE and ServiceLifecycle ignores SIGTERM and SIGINT; ignored signals survive `exec`),
/// an empty signal mask, a working directory, only the three standard descriptors inherited, and resource limits.
struct ExecChild {
    /// The process id; the command leads a process group of the same id.
    let pid: pid_t
    /// The write end of its standard input; non-blocking.
    var input: Int32
    /// The read end of its standard output; non-blocking.
    var output: Int32
    /// The read end of its standard error; non-blocking.
    var errors: Int32
    /// A pidfd that turns readable when the command exits, where the kernel offers one; `nil` means poll for it.
    let exitDescriptor: Int32?

    /// Starts `command` (looked up in `PATH`) with `environment`, in `directory` when given, under `options`' limits.
    ///
    /// - Throws: ``ExecError`` when a pipe cannot be made, the program cannot be started, or a limit cannot be set.
    static func spawn(
        _ command: [String],
        environment: [String],
        directory: String?,
        options: ExecOptions
    ) throws(ExecError) -> ExecChild {
        let pipes = try threePipes()
        let (stdin, stdout, stderr) = (pipes[0], pipes[1], pipes[2])
        let pid: pid_t
        do {
            pid = try start(
                command, environment, directory, stdin: stdin.read, stdout: stdout.write, stderr: stderr.write)
        } catch {
            closeAll([stdin.read, stdin.write, stdout.read, stdout.write, stderr.read, stderr.write])
            throw error
        }
        closeAll([stdin.read, stdout.write, stderr.write])
        for descriptor in [stdin.write, stdout.read, stderr.read] {
            ExecSystemCalls.setNonBlocking(descriptor)
        }
        let pidfd = ExecSystemCalls.pidfdOpen.map { $0(pid, 0) } ?? -1
        let child = ExecChild(
            pid: pid, input: stdin.write, output: stdout.read, errors: stderr.read,
            exitDescriptor: pidfd >= 0 ? pidfd : nil)
        do {
            try child.applyLimits(options)
        } catch {
            child.killGroup()
            _ = child.reap()
            child.closeDescriptors()
            throw error
        }
        return child
    }

    /// Three pipes for standard input, output and error; none is left open when one cannot be made.
    private static func threePipes() throws(ExecError) -> [(read: Int32, write: Int32)] {
        var pipes: [(read: Int32, write: Int32)] = []
        do {
            for _ in 0..<3 {
                pipes.append(try ExecSystemCalls.pipe())
            }
        } catch {
            closeAll(pipes.flatMap { [$0.read, $0.write] })
            throw error
        }
        return pipes
    }

    /// Runs `posix_spawnp` with the file actions and attributes described on ``ExecChild``.
    private static func start(
        _ command: [String],
        _ environment: [String],
        _ directory: String?,
        stdin: Int32,
        stdout: Int32,
        stderr: Int32
    ) throws(ExecError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let directory {
            guard let addChdir = ExecSystemCalls.addChdir else {
                throw ExecError("--exec-workdir needs posix_spawn_file_actions_addchdir_np (glibc 2.29)", errno: ENOSYS)
            }
            let status = addChdir(&actions, directory)
            guard status == 0 else { throw ExecError("cannot use working directory \(directory)", errno: status) }
        }
        _ = ExecSystemCalls.addCloseFrom?(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, Int32(signal))
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, command[0], &actions, &attributes, argv, envp)
        guard status == 0 else { throw ExecError("cannot start '\(command[0])'", errno: status) }
        return pid
    }

    /// Sets `options`' limits on the running command with `prlimit(2)`.
    ///
    /// Foundation's `Process` and `posix_spawn` have no hook between fork and exec, and Swift code must not run in
    /// a forked child of a threaded process, so the limits are set on the child from outside just after it starts.
    /// glibc's `posix_spawn` returns only once the child has called `exec` (it uses `CLONE_VFORK`), so the window
    /// is the few microseconds the new program spends in its dynamic loader: every allocation of the program's own
    /// code, and every process it starts, is under the limits. A CPU limit counts time from the process's start,
    /// so it has no window at all.
    private func applyLimits(_ options: ExecOptions) throws(ExecError) {
        var limits: [(resource: __rlimit_resource, value: rlimit, name: String)] = []
        if let bytes = options.memoryLimit {
            limits.append((RLIMIT_AS, rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes)), "--exec-memory-limit"))
        }
        if let cpu = options.cpuLimit {
            let seconds = rlim_t(max(1, cpu.components.seconds + (cpu.components.attoseconds > 0 ? 1 : 0)))
            // SIGXCPU at the soft limit, which a program may catch; SIGKILL a second later at the hard one.
            limits.append((RLIMIT_CPU, rlimit(rlim_cur: seconds, rlim_max: seconds + 1), "--exec-cpu-limit"))
        }
        guard !limits.isEmpty else { return }
        guard let prlimit = ExecSystemCalls.prlimit else {
            throw ExecError("resource limits need prlimit(2)", errno: ENOSYS)
        }
        for var limit in limits {
            // ESRCH: the command has already exited; there is nothing left to limit.
            if prlimit(pid, Int32(bitPattern: limit.resource.rawValue), &limit.value, nil) != 0, errno != ESRCH {
                throw ExecError("cannot set \(limit.name) on the command", errno: errno)
            }
        }
    }

    /// Kills the command's whole process group with SIGKILL. Safe until ``reap()``: the unreaped leader keeps its
    /// process id, and so the group's, from being reused.
    func killGroup() {
        kill(-pid, SIGKILL)
    }

    /// Waits for the leader to exit and reaps it: its termination and the CPU time it (and the children it waited
    /// for) used.
    func reap() -> (ExecTermination, cpuTime: Duration) {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let cpu = { (time: timeval) in Duration.seconds(time.tv_sec) + .microseconds(time.tv_usec) }
        return (ExecTermination(waitStatus: status), cpu(usage.ru_utime) + cpu(usage.ru_stime))
    }

    /// Closes every descriptor the worker still holds for the command.
    func closeDescriptors() {
        Self.closeAll([input, output, errors, exitDescriptor ?? -1])
    }

    private static func closeAll(_ descriptors: [Int32]) {
        for descriptor in descriptors where descriptor >= 0 {
            close(descriptor)
        }
    }
}
#endif
