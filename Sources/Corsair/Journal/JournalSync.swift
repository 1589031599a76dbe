/// How hard a journal commit waits for the disk (`--journal-sync`).
public enum JournalSync: String, Sendable, Hashable, CaseIterable {
    /// Every commit reaches the disk before it counts (SQLite `synchronous=FULL`): acknowledged tasks survive a power
    /// loss or a kernel crash.
    case full
    /// Commits reach the operating system at once and the disk at checkpoints (SQLite `synchronous=NORMAL` in WAL
    /// mode): acknowledged tasks survive a crash or SIGKILL of the broker, but a power loss may lose the last ones.
    case normal
}
