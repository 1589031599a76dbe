import Glibc

/// Zeros written ahead of a log and synced, so that its later syncs overwrite blocks the file system has already
/// allocated instead of growing the file: SQLite's WAL when the journal opens (``SQLiteJournal/prepareLog(path:)``)
/// and, with ``JournalSync/full``, the segments of the ``CommitLog`` (``CommitLog/prefill(_:through:)``).
enum ZeroFill {
    /// Writes zeros from byte `start` to byte `end` of `descriptor`'s file, a MiB at a time, and syncs them; returns
    /// whether it did. When a write or the sync fails, the file is cut back to `start`.
    static func fill(_ descriptor: Int32, from start: Int, to end: Int) -> Bool {
        let zeros = [UInt8](repeating: 0, count: min(1 << 20, max(0, end - start)))
        var offset = start
        while offset < end {
            let length = min(zeros.count, end - offset)
            let written = zeros.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, length, off_t(offset)) }
            guard written == length else { break }
            offset += length
        }
        guard offset >= end, fdatasync(descriptor) == 0 else {
            _ = ftruncate(descriptor, off_t(start))
            return false
        }
        return true
    }
}
