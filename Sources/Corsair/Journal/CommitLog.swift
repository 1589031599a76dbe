import Foundation
import Glibc
import Synchronization

/// The commits of a durable broker's journal not yet folded into its SQLite file: an append-only log in segment files
/// beside it (`PATH-log-00000001`, `PATH-log-00000002`, …), one frame per commit.
///
/// A commit is one `pwrite` (and, with ``JournalSync/full``, one `fdatasync`) instead of an SQLite transaction: under
/// `corsair-bench --journal normal` the transactions, their WAL and its checkpoints took the CPU the client and the
/// workers needed (docs/PERFORMANCE.md, "Fifth sitting": 0.65–0.77× the in-memory broker with them, 0.84–0.93× with
/// a plain file instead).
///
/// **Frames.** A 24-byte header, little-endian: `CRLG`, the payload's length and its record count (4 bytes each), the
/// newest key handed out (8), the CRC-32C of the count, the key and the payload (4); then the payload, the records as
/// ``JournalRecordCodec`` encodes them. A write that fails is cut off again, so the log always ends at a whole frame.
///
/// **Segments.** A commit that finds the newest segment past ``defaultSegmentBytes`` (64 MiB) starts the next one. The fold stores how
/// far it has read (a ``Position``) in the SQLite file, in the transaction that writes what it read, and tells the log
/// once that has committed (``folded(through:records:)``), which deletes the segments wholly before it: under steady
/// load the log stops growing.
///
/// **Open.** The frames from the folded position on are read and checked (``open(journal:folded:sync:segmentBytes:)``). A last
/// frame of the last segment that is cut short or fails its checksum, or zeros where it would be, is a commit that was
/// being written when the broker stopped: no reply had gone out for it, and it is cut off. Any other bad frame, a gap
/// in the segments' numbers or a folded position past a segment's end is damage: the journal is refused, naming the
/// file and the offset.
///
/// **Threads.** Appends come from one thread at a time (the journal writer's, or the loop's while the writer has
/// nothing queued, ``JournalWriter``); reads from whichever thread folds. A mutex guards the newest segment and the
/// counts; the bytes below the end never change, so reads copy them without it.
final class CommitLog: Sendable {
    /// Where a frame starts: a segment's number and a byte offset in it.
    struct Position: Hashable, Comparable, Sendable {
        var segment: UInt64
        var offset: Int

        static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
        }
    }

    /// One commit's records as the log holds them.
    struct Frame {
        var count: Int
        var lastKey: UInt64
        var payload: [UInt8]
    }

    /// The size past which a commit starts a new segment, unless the log is opened with another.
    static let defaultSegmentBytes = 64 << 20
    /// `CRLG`, the first bytes of every frame.
    static let magic: UInt32 = 0x474C_5243
    static let headerBytes = 24

    private struct State {
        /// The newest segment, open for appending, and its size.
        var segment: UInt64
        var descriptor: Int32
        var end: Int
        /// What the SQLite file has folded, and how many records remain after it.
        var folded: Position
        var backlog: Int
    }

    /// The journal's path; segments are named after it.
    let journalPath: String
    /// Whether each append is synced.
    let sync: JournalSync
    /// The size past which a commit starts a new segment.
    let segmentBytes: Int
    private let state: Mutex<State>

    private init(journalPath: String, sync: JournalSync, segmentBytes: Int, state: State) {
        self.journalPath = journalPath
        self.sync = sync
        self.segmentBytes = segmentBytes
        self.state = Mutex(state)
    }

    /// The path of segment `number` of the journal at `journal`.
    static func segmentPath(journal: String, _ number: UInt64) -> String {
        let digits = String(number)
        return journal + "-log-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    func segmentPath(_ number: UInt64) -> String { Self.segmentPath(journal: journalPath, number) }

    /// How many records are committed and not folded.
    var backlog: Int { state.withLock { $0.backlog } }

    /// Where the fold goes on from.
    var foldedPosition: Position { state.withLock { $0.folded } }

    /// The number of the segment appends go to.
    var newestSegment: UInt64 { state.withLock { $0.segment } }

    /// Stores `records` as one frame after the others, naming `lastKey` as the newest key handed out, and syncs it
    /// with ``JournalSync/full``.
    ///
    /// - Throws: ``JournalError`` (``JournalError/Kind/full`` when the disk is full); the log is as it was.
    func append(_ records: EncodedRecords, lastKey: UInt64) throws(JournalError) {
        let frame = Self.frame(records.bytes, count: records.count, lastKey: lastKey)
        try state.withLock { (state: inout State) throws(JournalError) in
            if state.end >= segmentBytes {
                try startSegment(&state)
            }
            try write(frame, to: state.descriptor, at: state.end, path: segmentPath(state.segment))
            state.end += frame.count
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
            case .torn, .damaged:
                throw Self.damaged(segmentPath(position.segment), offset: position.offset)
            }
        }
        return (frames, position)
    }

    /// Notes that the SQLite file has committed the fold of `records` records up to `position`, and deletes the
    /// segments before it.
    func folded(through position: Position, records: Int) {
        let (from, to) = state.withLock { state in
            defer {
                state.folded = position
                state.backlog -= records
            }
            return (state.folded.segment, position.segment)
        }
        for number in from..<max(from, to) {
            unlink(segmentPath(number))
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

    /// The bytes of a frame of `payload`.
    static func frame(_ payload: [UInt8], count: Int, lastKey: UInt64) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(headerBytes + payload.count)
        frame.appendLittleEndian(magic)
        frame.appendLittleEndian(UInt32(payload.count))
        frame.appendLittleEndian(UInt32(count))
        frame.appendLittleEndian(lastKey)
        frame.appendLittleEndian(checksum(header: frame, payload: payload))
        frame.append(contentsOf: payload)
        return frame
    }

    /// The CRC-32C a frame's header holds: of its count and key (`header`'s bytes 8 to 20), then its payload.
    static func checksum(header: [UInt8], payload: [UInt8]) -> UInt32 {
        let start = header.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[8..<20])) }
        return payload.withUnsafeBytes { CRC32C.checksum($0, continuing: start) }
    }

    /// Starts the segment after the newest.
    private func startSegment(_ state: inout State) throws(JournalError) {
        let number = state.segment + 1
        let path = segmentPath(number)
        try Self.createSegment(path, sync: sync)
        let descriptor = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.writeError(errno, path: path, doing: "open") }
        Glibc.close(state.descriptor)
        (state.segment, state.descriptor, state.end) = (number, descriptor, 0)
    }

    /// Writes `frame` at `offset` and syncs it as ``sync`` says; cuts the file back to `offset` if that fails.
    private func write(_ frame: [UInt8], to descriptor: Int32, at offset: Int, path: String) throws(JournalError) {
        var failure = Self.writeAll(frame, to: descriptor, at: offset)
        if failure == 0, sync == .full, fdatasync(descriptor) != 0 {
            failure = errno
        }
        guard failure != 0 else { return }
        _ = ftruncate(descriptor, off_t(offset))
        throw Self.writeError(failure, path: path, doing: "write")
    }

    /// Writes all of `bytes` at `offset`; returns 0, or the `errno` of the write that failed.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, at offset: Int) -> Int32 {
        bytes.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = pwrite(
                    descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
                guard result > 0 else { return result == 0 ? ENOSPC : errno }
                written += result
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
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        Glibc.close(descriptor)
    }
}

extension CommitLog {
    /// Opens the log of the journal at `path`, whose SQLite file has folded it up to `folded`: checks every frame
    /// after that, cuts off a torn last frame, deletes segments folded already and counts the rest.
    ///
    /// - Returns: the log, and what it repaired, for the broker to log: a torn frame cut off, or a folded position past
    ///   the end of the last segment (a copy of the log taken before the SQLite file's backup, which had folded
    ///   further), whose segment is then left for a new one.
    /// - Throws: ``JournalError/Kind/corrupt`` for damage, other kinds when a segment cannot be read or created.
    static func open(
        journal path: String,
        folded start: Position,
        sync: JournalSync,
        segmentBytes: Int = defaultSegmentBytes
    ) throws(JournalError) -> (log: CommitLog, repair: String?) {
        var numbers = try segments(journal: path)
        for number in numbers where number < start.segment {
            unlink(segmentPath(journal: path, number))
        }
        numbers.removeAll { $0 < start.segment }
        var folded = start
        var repair: String?
        if numbers == [start.segment], size(of: segmentPath(journal: path, start.segment)) < start.offset {
            repair =
                "\(segmentPath(journal: path, start.segment)) ends before byte \(start.offset), which the "
                + "journal had folded already: every commit it held is folded; a new segment follows it"
            unlink(segmentPath(journal: path, start.segment))
            numbers = []
        }
        if numbers.isEmpty {
            // Nothing after the folded position: a new journal, or its segment was deleted with an older file.
            folded = Position(segment: start.segment + (start.offset > 0 ? 1 : 0), offset: 0)
            try createSegment(segmentPath(journal: path, folded.segment), sync: sync)
            numbers = [folded.segment]
        }
        var expected = folded.segment
        for number in numbers {
            guard number == expected else {
                throw JournalError(
                    .corrupt, path: segmentPath(journal: path, expected),
                    "is missing, and later segments of the journal's log are there. Keep a copy of the journal and "
                        + "its -log- files; then move them aside to start with an empty journal")
            }
            expected += 1
        }
        var backlog = 0
        var end = 0
        for number in numbers {
            let segment = segmentPath(journal: path, number)
            let scan = try Scan(
                path: segment, number: number, from: number == folded.segment ? folded.offset : 0,
                last: number == numbers.last)
            backlog += scan.records
            end = scan.end
            if let cut = scan.cut {
                repair =
                    "\(segment): cut off a commit torn at byte \(cut), being written when the journal was "
                    + "last used (nothing had been acknowledged or reported for it)"
            }
        }
        let newest = numbers[numbers.count - 1]
        let newestPath = segmentPath(journal: path, newest)
        let descriptor = Glibc.open(newestPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw writeError(errno, path: newestPath, doing: "open") }
        let state = State(segment: newest, descriptor: descriptor, end: end, folded: folded, backlog: backlog)
        return (CommitLog(journalPath: path, sync: sync, segmentBytes: segmentBytes, state: state), repair)
    }

    /// The size of the file at `path`, 0 when there is none.
    private static func size(of path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Creates an empty segment at `path`; with ``JournalSync/full`` its directory entry is synced too.
    static func createSegment(_ path: String, sync: JournalSync) throws(JournalError) {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw writeError(errno, path: path, doing: "create") }
        Glibc.close(descriptor)
        if sync == .full {
            syncDirectory(of: path)
        }
    }

    /// The numbers of the journal's segments on disk, in order.
    static func segments(journal path: String) throws(JournalError) -> [UInt64] {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + "-log-"
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)
        } catch {
            throw JournalError(.io, path: path, "cannot list its directory for the journal's log: \(error)")
        }
        return names.compactMap { name in
            guard name.hasPrefix(prefix) else { return nil }
            let digits = name.dropFirst(prefix.count)
            return digits.count == 8 && digits.allSatisfy(\.isASCII) ? UInt64(digits) : nil
        }.sorted()
    }

    /// What reading one segment through found.
    private struct Scan {
        var records = 0
        /// Where its frames end, and where a torn frame was cut off.
        var end: Int
        var cut: Int?

        init(path: String, number: UInt64, from offset: Int, last: Bool) throws(JournalError) {
            let reader = try SegmentReader(path: path, number: number, writable: last)
            defer { reader.close() }
            guard offset <= reader.size else {
                throw JournalError(
                    .corrupt, path: path,
                    "holds \(reader.size) bytes, but the journal has folded \(offset) of them: the file was cut "
                        + "short. Keep a copy of the journal and its -log- files; then move them aside to start "
                        + "with an empty journal")
            }
            end = offset
            while end < reader.size {
                switch reader.frame(at: end, last: last) {
                case .frame(let frame, let length):
                    records += frame.count
                    end += length
                case .torn:
                    guard ftruncate(reader.descriptor, off_t(end)) == 0 else {
                        throw CommitLog.writeError(errno, path: path, doing: "cut the torn end of")
                    }
                    cut = end
                    return
                case .damaged:
                    throw CommitLog.damaged(path, offset: end)
                }
            }
        }
    }
}

/// One segment open for reading.
private struct SegmentReader {
    enum Outcome {
        case frame(CommitLog.Frame, length: Int)
        /// The last frame of the log, cut short or never fully written.
        case torn
        case damaged
    }

    let number: UInt64
    let descriptor: Int32
    let size: Int

    init(path: String, number: UInt64, writable: Bool = false) throws(JournalError) {
        self.number = number
        descriptor = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else { throw CommitLog.writeError(errno, path: path, doing: "open") }
        let end = lseek(descriptor, 0, SEEK_END)
        size = max(0, Int(end))
    }

    func close() {
        Glibc.close(descriptor)
    }

    /// The frame at `offset`; when `last` (the log's last segment), damage that reaches the end of the file is a
    /// torn frame.
    func frame(at offset: Int, last: Bool) -> Outcome {
        let header = bytes(at: offset, count: CommitLog.headerBytes)
        guard header.count == CommitLog.headerBytes else { return last ? .torn : .damaged }
        let length = Int(header.littleEndian(UInt32.self, at: 4))
        let end = offset + CommitLog.headerBytes + length
        // Only the log's last frame may be torn: one that reaches the end of the file, or zeros to its end.
        var bad: Outcome { last && (end >= size || zerosFollow(offset)) ? .torn : .damaged }
        guard header.littleEndian(UInt32.self, at: 0) == CommitLog.magic, end <= size else { return bad }
        let payload = bytes(at: offset + CommitLog.headerBytes, count: length)
        guard payload.count == length,
            CommitLog.checksum(header: header, payload: payload) == header.littleEndian(UInt32.self, at: 20)
        else { return bad }
        let frame = CommitLog.Frame(
            count: Int(header.littleEndian(UInt32.self, at: 8)), lastKey: header.littleEndian(UInt64.self, at: 12),
            payload: payload)
        return .frame(frame, length: end - offset)
    }

    private func bytes(at offset: Int, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        bytes.withUnsafeMutableBytes { buffer in
            while filled < count {
                let read = pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                guard read > 0 else { return }
                filled += read
            }
        }
        return Array(bytes.prefix(filled))
    }

    /// Whether nothing but zeros follows `offset` (a file system that extended the file before a crash).
    private func zerosFollow(_ offset: Int) -> Bool {
        var position = offset
        while position < size {
            let chunk = bytes(at: position, count: min(1 << 20, size - position))
            guard !chunk.isEmpty, chunk.allSatisfy({ $0 == 0 }) else { return false }
            position += chunk.count
        }
        return true
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    fileprivate func littleEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        var value = Value.zero
        Swift.withUnsafeMutableBytes(of: &value) { target in
            for index in 0..<MemoryLayout<Value>.size {
                target[index] = self[offset + index]
            }
        }
        return Value(littleEndian: value)
    }
}
