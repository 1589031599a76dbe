extension CommitLog {
    /// How far ahead of the frames a ``JournalSync/full`` log writes zeros at a time.
    ///
    /// Writing zeros into new blocks costs this disk as much as writing the frames (docs/PERFORMANCE.md, seventh
    /// sitting), and every commit behind them waits: 8 MiB at a time held them 5–25 ms, and put the p99 of
    /// `corsair-bench --journal full` at 31–36 ms in three invocations; 1 MiB at a time, 11–13 ms in the same rounds,
    /// with the same tasks per second and the W=1 p50 within its budget.
    static let prefillBytes = 1 << 20

    /// The least free space beside the journal for zeros to be written ahead: below it the disk-full rules matter more.
    static let prefillMinimumFree: UInt64 = 512 << 20

    /// Whether the file system beside the journal at `journal` has ``prefillMinimumFree`` free: where zeros are
    /// written ahead, a new journal's first segment zeroed and folded segments kept for reuse.
    static func roomForZeros(beside journal: String) -> Bool {
        guard let space = SQLiteJournal.freeSpace(besideFile: journal) else { return false }
        return space.available >= prefillMinimumFree
    }

    /// With ``JournalSync/full``, writes zeros (and syncs them) ahead of the newest segment's frames, ``prefillBytes``
    /// at a time up to the segment's size, so that each commit's `fdatasync` overwrites blocks the file system has
    /// allocated instead of growing the file, which also commits the file system's metadata.
    ///
    /// Under `corsair-bench --journal full --window 1` that took 30–90 µs off the p50 in three pairs of four (and
    /// nothing off the throughput at W=1000; docs/PERFORMANCE.md, sixth sitting). PostgreSQL zero-fills each new WAL
    /// segment (`wal_init_zero`) for the same reason. Best effort: skipped where less than ``prefillMinimumFree`` is
    /// free, and a write that fails is cut back, the commit then growing the file as it would have.
    func prefill(_ state: inout State, through end: Int) {
        guard end > state.prefilled, state.prefilled < segmentBytes, Self.roomForZeros(beside: journalPath) else {
            return
        }
        let target = min(segmentBytes, max(end, state.prefilled + Self.prefillBytes))
        if ZeroFill.fill(state.descriptor, from: state.prefilled, to: target) {
            state.prefilled = target
        }
    }
}
