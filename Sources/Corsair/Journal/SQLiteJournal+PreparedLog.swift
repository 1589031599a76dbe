import Foundation
import Glibc

extension SQLiteJournal {
    /// How much of the WAL file is filled with zeros ahead of SQLite when the journal opens.
    static let preparedLogBytes = 32 << 20

    /// Fills the WAL file with zeros from where it ends up to ``preparedLogBytes`` and syncs it, so that commits
    /// overwrite blocks the file system has already allocated instead of growing the file.
    ///
    /// An `fdatasync` after a write that grows a file also commits the file system's metadata; after one that
    /// overwrites, only the data. On this project's CI disk (ext4 on a virtual disk) that is 160–216 µs against 97 µs
    /// per 8 KiB write, and `--journal-sync full` waits for it twice for every task (its acknowledgement, its result).
    /// PostgreSQL zero-fills each new WAL segment (`wal_init_zero`) for the same reason.
    ///
    /// Called while opening, before any other connection writes. SQLite reads the WAL only as far as its frames'
    /// checksums hold, so zeros past the last frame are never taken for frames; `journal_size_limit` keeps a
    /// restarted WAL from being cut back below this size. Skipped on a file system with less than 64 times the size
    /// free, where the space matters more (and the disk-full rules of ``JournalWriter`` are tested); a write or sync
    /// that fails leaves the file as it was.
    static func prepareLog(path: String) {
        guard let space = freeSpace(besideFile: path), space.available >= 64 * UInt64(preparedLogBytes) else { return }
        let descriptor = open(path + "-wal", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { Glibc.close(descriptor) }
        let start = lseek(descriptor, 0, SEEK_END)
        guard start >= 0, start < preparedLogBytes else { return }
        _ = ZeroFill.fill(descriptor, from: Int(start), to: preparedLogBytes)
    }
}
