import Foundation
import Glibc

extension CommitLog {
    /// How far ahead of the frames a ``JournalSync/full`` log writes zeros at a time.
    static let prefillBytes = 8 << 20

    /// With ``JournalSync/full``, writes zeros (and syncs them) ahead of the newest segment's frames, 8 MiB at a time
    /// up to the segment's size, so that each commit's `fdatasync` overwrites blocks the file system has allocated
    /// instead of growing the file, which also commits the file system's metadata.
    ///
    /// Under `corsair-bench --journal full --window 1` that took 30–90 µs off the p50 in three pairs of four (and
    /// nothing off the throughput at W=1000; docs/PERFORMANCE.md, sixth sitting). PostgreSQL zero-fills each new WAL
    /// segment (`wal_init_zero`) for the same reason. Best effort: skipped where less than 64 times as much is free (the disk-full rules matter more there),
    /// and a write that fails is cut back, the commit then growing the file as it would have.
    func prefill(_ state: inout State, through end: Int) {
        guard end > state.prefilled, state.prefilled < segmentBytes, Self.roomForPrefill(beside: journalPath) else {
            return
        }
        let target = min(segmentBytes, max(end, state.prefilled + Self.prefillBytes))
        let zeros = [UInt8](repeating: 0, count: target - state.prefilled)
        guard Self.writeFrame(zeros, [], to: state.descriptor, at: state.prefilled) == 0,
            fdatasync(state.descriptor) == 0
        else {
            _ = ftruncate(state.descriptor, off_t(state.prefilled))
            return
        }
        state.prefilled = target
    }

    /// Whether the file system of `path`'s directory has 64 times ``prefillBytes`` free.
    private static func roomForPrefill(beside path: String) -> Bool {
        var info = statvfs()
        let directory = (path as NSString).deletingLastPathComponent
        guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return false }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) >= 64 * UInt64(prefillBytes)
    }
}
