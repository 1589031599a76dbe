#if canImport(Glibc)
import Glibc

/// The Linux and GNU calls an ``ExecHandler`` needs that Swift's Glibc module leaves out (it is built without
/// `_GNU_SOURCE`), looked up at run time; `nil` where the C library lacks one.
enum ExecSystemCalls {
    /// `pipe2(2)`: a pipe whose ends are close-on-exec from birth, so a child another task spawns at the same moment
    /// never inherits them (and never holds this task's pipes open).
    static let pipe2 = glibcFunction("pipe2", as: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)

    /// `pidfd_open(2)` (glibc 2.36): a descriptor that turns readable when the process exits, without reaping it.
    static let pidfdOpen = glibcFunction("pidfd_open", as: (@convention(c) (pid_t, UInt32) -> Int32).self)

    /// `prlimit(2)`: sets a resource limit of another process.
    static let prlimit = glibcFunction(
        "prlimit",
        as: (@convention(c) (pid_t, Int32, UnsafePointer<rlimit>?, UnsafeMutablePointer<rlimit>?) -> Int32).self)

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29): the child changes directory before it runs the program.
    static let addChdir = glibcFunction(
        "posix_spawn_file_actions_addchdir_np",
        as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34): the child closes every descriptor from this one up,
    /// whatever other code in the worker opened without close-on-exec.
    static let addCloseFrom = glibcFunction(
        "posix_spawn_file_actions_addclosefrom_np",
        as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)

    /// A pipe with both ends close-on-exec: `(read, write)`. Both ends block; the worker makes its own end
    /// non-blocking with ``setNonBlocking(_:)``, which leaves the child's end (another open file) as it is.
    static func pipe() throws(ExecError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [-1, -1]
        let result: Int32
        if let pipe2 {
            result = pipe2(&descriptors, O_CLOEXEC)
        } else {
            result = Glibc.pipe(&descriptors)
            for descriptor in descriptors where result == 0 {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            }
        }
        guard result == 0 else { throw ExecError("cannot create a pipe", errno: errno) }
        return (descriptors[0], descriptors[1])
    }

    /// Makes `descriptor` non-blocking.
    static func setNonBlocking(_ descriptor: Int32) {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }
}

/// A system call of the `--exec` machinery that failed: what was tried and the `errno` text.
struct ExecError: Error, CustomStringConvertible {
    /// What was tried and why it failed.
    var description: String

    /// Creates the error for `operation` failing with `errno`.
    init(_ operation: String, errno: Int32) {
        description = "\(operation): \(String(cString: strerror(errno)))"
    }
}
#endif
