import Corsair
import Foundation

/// What `corsair-bench --journal` adds: the in-memory runs to compare the journal's with, and one fsync's time.
struct JournalFigures {
    let mode: JournalSync
    let inMemory: [RunFigures]
    /// The median time of writing 4 KiB and `fsync`ing it, on the journal's file system, in microseconds: the
    /// latency target allows the journal two of these.
    let fsyncMicroseconds: Double
    /// With `--postgres`: the runs on a PostgreSQL journal, run for run with the SQLite journal's.
    var postgres: [RunFigures] = []
}

/// Removes a journal file and the files beside it (``SQLiteJournal/files(path:)``).
enum JournalFiles {
    static func remove(_ path: String) {
        for file in SQLiteJournal.files(path: path) {
            try? FileManager.default.removeItem(atPath: file)
        }
    }
}

/// Times `fsync(2)` on a file system.
enum FsyncTimer {
    /// The median of 50 writes of 4 KiB, each followed by an `fsync`, in a scratch file in `directory`.
    static func median(in directory: URL) throws -> Double {
        let path = directory.appendingPathComponent("corsair-bench-\(getpid()).fsync").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw BenchError("cannot create \(path) to time fsync") }
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x2a, count: 4096)
        var times: [Double] = []
        for _ in 0..<50 {
            let start = ContinuousClock.now
            _ = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            fsync(descriptor)
            times.append((ContinuousClock.now - start) / .microseconds(1))
        }
        return times.sorted()[times.count / 2]
    }
}
