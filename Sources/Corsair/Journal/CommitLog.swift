import Foundation
import Glibc
import Synchronization
import SystemPackage

/// The commits of a durable broker's journal not yet folded into its SQLite file: an append-only log in segment files
/// beside it (`PATH-log-00000001`, `PATH-log-00000002`, …), one frame per commit.
///
/// A commit is one `pwrite` (and, with ``JournalSync/full``, one `fdatasync`) instead of an SQLite transaction: under
/// `corsair-bench --journal normal` the transactions, their WAL and its checkpoints took the CPU the client and the
/// workers needed (docs/PERFORMANCE.md, "Fifth sitting": 0.65–0.77× the in-memory broker with them, 0.84–0.93× with
/// a plain file instead).
///
/// **Frames.** A header with the length, the record count, the newest key and checksums of itself and of the payload,
/// then the payload (``CommitLog/Frame``). A write that fails is cut off again, so the log always ends at a whole
/// frame.
///
/// **Segments.** A commit that finds the newest segment past ``defaultSegmentBytes`` (64 MiB) starts the next one.
/// The fold stores how far it has read (a ``Position``) in the SQLite file, in the transaction that writes what it
/// read, and tells the log once that transaction is durable (``folded(through:records:)``), which deletes the
/// segments wholly before it: under steady load the log stops growing.
///
/// **Reuse.** With ``JournalSync/full`` a sync that overwrites blocks the file system has allocated costs this disk
/// about half of one that grows the file (docs/PERFORMANCE.md, seventh sitting), and writing zeros ahead of the
/// frames costs as much as the frames. So, as PostgreSQL recycles its WAL segments, a folded segment's file is kept
/// as a spare (`PATH-log-spare-…`, at most ``maximumSpares``) and renamed to become the next segment, its old frames
/// left in place: a frame names its segment and salt (``Frame``), so none of them reads as a commit of the new one.
/// A new journal's first segment is written with zeros whole when it is created
/// (``prepareFirstSegment(_:journal:sync:bytes:)``), a closing journal's newest segment becomes the next one
/// (``folded(through:records:)``), and only when neither a spare nor room written ahead is there are zeros written a
/// MiB at a time before the frames (``prefill(_:through:)``). Spares are deleted at open: they hold nothing.
///
/// **Open.** The frames from the folded position on are read and checked
/// (``open(journal:folded:sync:segmentBytes:)``). A torn last frame of the last segment, a commit that was being
/// written when the broker stopped and for which no reply had gone out, is cut off. Any other bad frame (one with a
/// frame of its segment after it, or in a segment before the last, which ends at its last frame), a gap in the
/// segments' numbers or a folded position past the end of a segment with others after it is damage: the journal is
/// refused, naming the file and the offset.
///
/// **Threads.** Appends come from one thread at a time (the journal writer's, or the loop's while the writer has
/// nothing queued, ``JournalWriter``); reads from whichever thread folds. A mutex guards the newest segment and the
/// counts; the bytes below the end never change, so reads copy them without it.
final class CommitLog: Sendable {
    /// Where a frame starts: a segment's number and a byte offset in it.
    struct Position: Hashable, Sendable {
        var segment: UInt64
        var offset: Int
    }

    /// The size past which a commit starts a new segment, unless the log is opened with another.
    static let defaultSegmentBytes = 64 << 20
    /// The most folded segments kept for reuse.
    static let maximumSpares = 2

    struct State {
        /// The newest segment, open for appending, and its size.
        var segment: UInt64
        var descriptor: Int32
        var end: Int
        /// What the SQLite file has folded, and how many records remain after it.
        var folded: Position
        var backlog: Int
        /// The oldest segment on disk: those before ``folded`` are deleted by the next fold.
        var oldest: UInt64
        /// A failed write left bytes past ``end`` that could not be cut off yet.
        var needsCut = false
        /// The size of the newest segment's file: with ``JournalSync/full``, zeros past ``end`` written ahead of the
        /// frames (``prefill(_:through:)``), or an earlier use's bytes.
        var prefilled = 0
        /// The newest segment's salt, in each of its frames' headers.
        var salt = UInt64.random(in: .min ... .max)
        /// Folded segments' files kept to become the next segments, oldest first.
        var spares: [String] = []
    }

    /// The journal's path; segments are named after it.
    let journalPath: String
    /// Whether each append is synced.
    let sync: JournalSync
    /// The size past which a commit starts a new segment.
    let segmentBytes: Int
    private let state: Mutex<State>

    init(journalPath: String, sync: JournalSync, segmentBytes: Int, state: State) {
        self.journalPath = journalPath
        self.sync = sync
        self.segmentBytes = segmentBytes
        self.state = Mutex(state)
    }

    /// The path of segment `number` of the journal at `journal`.
    static func segmentPath(journal: String, _ number: UInt64) -> String {
        journal + "-log-" + eightDigits(number)
    }

    /// `number` in decimal, with zeros before it to eight digits.
    static func eightDigits(_ number: UInt64) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    func segmentPath(_ number: UInt64) -> String { Self.segmentPath(journal: journalPath, number) }

    /// How many records are committed and not folded.
    var backlog: Int { state.withLock { $0.backlog } }

    /// Where the fold goes on from.
    var foldedPosition: Position { state.withLock { $0.folded } }

    /// The number of the segment appends go to.
    var newestSegment: UInt64 { state.withLock { $0.segment } }

    /// Whether a fold up to `position` deletes segments.
    func deletes(through position: Position) -> Bool { state.withLock { $0.oldest < position.segment } }

    /// Stores `records` as one frame after the others, naming `lastKey` as the newest key handed out, and syncs it
    /// with ``JournalSync/full``.
    ///
    /// - Throws: ``JournalError`` (``JournalError/Kind/full`` when the disk is full); the log is as it was.
    func append(_ records: EncodedRecords, lastKey: UInt64) throws(JournalError) {
        let payload = records.bytes
        let payloadSum = payload.withUnsafeBytes { CRC32C.checksum($0) }
        try state.withLock { (state: inout State) throws(JournalError) in
            if state.needsCut {
                guard ftruncate(state.descriptor, off_t(state.end)) == 0 else {
                    throw Self.writeError(errno, path: segmentPath(state.segment), doing: "cut back")
                }
                (state.needsCut, state.prefilled) = (false, state.end)
            }
            if state.end >= segmentBytes {
                try startSegment(&state)
            }
            let header = Self.header(
                length: payload.count, count: records.count, lastKey: lastKey, segment: (state.segment, state.salt),
                payloadSum: payloadSum)
            if sync == .full {
                prefill(&state, through: state.end + header.count + payload.count)
            }
            try write(header, payload, to: &state)
            state.end += header.count + payload.count
            state.backlog += records.count
        }
    }

    /// The frames from `start` on, whole, until they hold `limit` records or the log ends, and where the next begins.
    ///
    /// - Throws: ``JournalError/Kind/corrupt`` for a frame damaged since the log was opened.
    func read(from start: Position, records limit: Int) throws(JournalError) -> (frames: [Frame], next: Position) {
        let (newest, end) = state.withLock { ($0.segment, $0.end) }
        var frames: [Frame] = []
        var records = 0
        var position = start
        var reader: SegmentReader?
        defer { reader?.close() }
        while records < limit, position.segment < newest || position.offset < end {
            if reader?.number != position.segment {
                reader?.close()
                reader = try SegmentReader(path: segmentPath(position.segment), number: position.segment)
            }
            guard let current = reader, position.offset < (position.segment == newest ? end : current.size) else {
                position = Position(segment: position.segment + 1, offset: 0)
                continue
            }
            switch current.frame(at: position.offset, last: false) {
            case .frame(let frame, let length):
                frames.append(frame)
                records += frame.count
                position.offset += length
            case .end, .torn, .damaged:
                // Only the opening scan reads as far as the zeros past the frames, or a torn frame.
                throw Self.damaged(segmentPath(position.segment), offset: position.offset)
            }
        }
        return (frames, position)
    }

    /// Notes that the SQLite file holds the fold of `records` records up to `position`, durably, and deletes the
    /// segments before it, or keeps them to be reused (``maximumSpares``). A position past the newest segment (a
    /// journal closing with everything folded) makes the newest segment's file the next one and deletes the spares.
    func folded(through position: Position, records: Int) {
        let unwanted = state.withLock { state in
            defer {
                state.folded = position
                state.backlog -= records
                state.oldest = max(state.oldest, position.segment)
            }
            var unwanted: [String] = []
            for number in state.oldest..<max(state.oldest, position.segment) {
                if number == state.segment {
                    unwanted += retire(&state, as: position.segment)
                } else if !keepSpare(number, in: &state) {
                    unwanted.append(segmentPath(number))
                }
            }
            return unwanted
        }
        for path in unwanted {
            unlink(path)
        }
    }

    /// Closes the newest segment.
    func close() {
        state.withLock { state in
            if state.descriptor >= 0 {
                Glibc.close(state.descriptor)
                state.descriptor = -1
            }
        }
    }

    /// Starts the segment after the newest, in a spare's file when there is one.
    ///
    /// The segment it ends is cut back to its last frame when its file was reused, and synced then or with
    /// ``JournalSync/normal`` (once per ``segmentBytes``): a power loss then tears at most the newest segment's end,
    /// which the next open cuts off, and a segment with another after it ends at its last frame, as the open
    /// requires.
    private func startSegment(_ state: inout State) throws(JournalError) {
        let reused = state.prefilled > state.end
        if reused, ftruncate(state.descriptor, off_t(state.end)) != 0 {
            throw Self.writeError(errno, path: segmentPath(state.segment), doing: "cut back")
        }
        if sync == .normal || reused, fdatasync(state.descriptor) != 0 {
            throw Self.writeError(errno, path: segmentPath(state.segment), doing: "sync")
        }
        let number = state.segment + 1
        let path = segmentPath(number)
        let prepared = takeSpare(&state, as: path)
        if prepared == nil {
            try Self.createSegment(path, sync: sync)
        }
        let descriptor = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.writeError(errno, path: path, doing: "open") }
        Glibc.close(state.descriptor)
        (state.segment, state.descriptor, state.end) = (number, descriptor, 0)
        (state.prefilled, state.salt) = (prepared ?? 0, .random(in: .min ... .max))
    }

    /// Writes a frame at the newest segment's end and syncs it as ``sync`` says; cuts the file back if that fails
    /// (or notes that the next append must, when the cut fails too).
    private func write(_ header: [UInt8], _ payload: [UInt8], to state: inout State) throws(JournalError) {
        var failure = Self.writeFrame(header, payload, to: state.descriptor, at: state.end)
        if failure == 0, sync == .full, fdatasync(state.descriptor) != 0 {
            failure = errno
        }
        guard failure != 0 else { return }
        state.needsCut = ftruncate(state.descriptor, off_t(state.end)) != 0
        state.prefilled = state.end
        throw Self.writeError(failure, path: segmentPath(state.segment), doing: "write")
    }

    /// Writes a frame, `header` then `payload`, at `offset`, in one `pwritev`; returns 0, or the `errno` of the
    /// write that failed.
    static func writeFrame(_ header: [UInt8], _ payload: [UInt8], to descriptor: Int32, at offset: Int) -> Int32 {
        let (written, code) = header.withUnsafeBytes { head in
            payload.withUnsafeBytes { body in
                var vectors = [
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress), iov_len: head.count),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress), iov_len: body.count),
                ]
                let written = pwritev(descriptor, &vectors, 2, off_t(offset))
                return (written, errno)
            }
        }
        guard written >= 0 else { return code }
        guard written < header.count + payload.count else { return 0 }
        // Cut short (the disk filling up): the rest, which says why it stops.
        let frame = header + payload
        return frame.withUnsafeBytes { bytes in
            var done = written
            while done < bytes.count {
                let result = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
                guard result > 0 else { return result == 0 ? ENOSPC : errno }
                done += result
            }
            return 0
        }
    }

    static func writeError(_ code: Int32, path: String, doing: String) -> JournalError {
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return JournalError(.full, path: path, "the disk is full (\(doing): \(reason))")
        }
        if code == EACCES || code == EPERM || code == EROFS || code == ENOENT {
            return JournalError(.cannotCreate, path: path, "cannot \(doing) the journal's log: \(reason)")
        }
        return JournalError(.io, path: path, "\(doing) failed: \(reason)")
    }

    static func damaged(_ path: String, offset: Int) -> JournalError {
        JournalError(
            .corrupt, path: path,
            "the journal's log is damaged at byte \(offset). Keep a copy of the journal and its -log- files; then "
                + "move them aside to start with an empty journal")
    }

    /// Syncs the directory that holds `path`, so that a new file's name survives a power loss.
    static func syncDirectory(of path: String) {
        let directory = FilePath(path).directory
        let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        Glibc.close(descriptor)
    }
}
