#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGPIPE handling shared by every Corsair binary.
public enum BrokenPipe {
    /// Ignores SIGPIPE for the whole process, so a write to a pipe or socket whose reader has gone fails with EPIPE
    /// where it happens instead of killing the binary: a `corsair-worker --exec` child that exits without reading
    /// its input, `corsair submit | head`. Each binary's `main` calls it first. Children a worker starts get the
    /// default action back (``Corsair/ExecHandler`` resets every signal it spawns with).
    public static func ignore() {
        signal(SIGPIPE, SIG_IGN)
    }
}
