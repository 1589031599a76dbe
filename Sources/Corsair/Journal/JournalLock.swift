import Foundation
import SystemPackage

/// An exclusive `flock(2)` on the journal file, held while a broker uses it, so a second broker on the same file is
/// refused instead of interleaving its writes. The lock is the kernel's: it goes away with the process, however it
/// ends, so a crashed broker never leaves a stale lock behind. (SQLite's own locks are `fcntl` locks, which `flock`
/// does not interfere with on Linux.)
final class JournalLock: Sendable {
    private let descriptor: Int32

    /// Whether another process holds the lock.
    enum Outcome {
        case locked(JournalLock)
        case heldElsewhere
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Creates the file at `path` if need be and takes its lock without waiting.
    ///
    /// - Throws: ``JournalError`` (``JournalError/Kind/cannotCreate``) when the file cannot be created or opened
    ///   for writing, saying why.
    static func acquire(path: String) throws(JournalError) -> Outcome {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw JournalError(.cannotCreate, path: path, openProblem(errno: errno, path: path))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(descriptor)
            guard code == EWOULDBLOCK else {
                throw JournalError(.io, path: path, "cannot lock it: \(String(cString: strerror(code)))")
            }
            return .heldElsewhere
        }
        return .locked(JournalLock(descriptor: descriptor))
    }

    /// Releases the lock.
    func release() {
        close(descriptor)
    }

    /// What `open(2)` failing with `errno` means for a journal at `path`, and what to do.
    private static func openProblem(errno code: Int32, path: String) -> String {
        let shown = FilePath(path).directory
        switch code {
        case ENOENT:
            return "cannot create it: directory \(shown) does not exist (create it, or give --journal another path)"
        case EACCES, EPERM, EROFS:
            return "cannot open it for writing: \(String(cString: strerror(code))) (check the permissions of "
                + "\(shown), or give --journal another path)"
        case EISDIR:
            return "is a directory; give --journal a file path"
        default:
            return "cannot open it: \(String(cString: strerror(code)))"
        }
    }
}
