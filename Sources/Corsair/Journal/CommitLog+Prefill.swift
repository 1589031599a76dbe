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
        guard end > state.prefilled, state.prefilled < segmentBytes,
            let space = SQLiteJournal.freeSpace(besideFile: journalPath),
            space.available >= 64 * UInt64(Self.prefillBytes)
        else { return }
        let target = min(segmentBytes, max(end, state.prefilled + Self.prefillBytes))
        if ZeroFill.fill(state.descriptor, from: state.prefilled, to: target) {
            state.prefilled = target
        }
    }
}
