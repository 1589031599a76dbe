import Foundation
import Glibc
import SystemPackage

extension CommitLog {
    /// Opens the log of the journal at `path`, whose SQLite file has folded it up to `folded`: checks every frame
    /// after that, cuts off a torn last frame and counts the rest. Segments before `folded` are left for the next
    /// fold to delete, once the SQLite file is known good.
    ///
    /// - Returns: the log, and what it repaired, for the broker to log: a torn frame cut off, or a folded position past
    ///   the end of the last segment or in a segment that is gone (a copy of the log taken before the SQLite file's
    ///   backup, which had folded further, or none), after which a new segment starts; the caller must then store the
    ///   log's ``foldedPosition``.
    /// - Throws: ``JournalError/Kind/corrupt`` for damage, other kinds when a segment cannot be read or created.
    static func open(
        journal path: String,
        folded start: Position,
        sync: JournalSync,
        segmentBytes: Int = defaultSegmentBytes
    ) throws(JournalError) -> (log: CommitLog, repair: String?) {
        for spare in spares(journal: path) {
            // Kept for reuse by the broker that last had the journal: it holds nothing, and only a spare made since
            // this open is known to hold no frame numbered as a later segment's.
            unlink(spare)
        }
        var numbers = try segments(journal: path)
        let oldest = min(numbers.first ?? start.segment, start.segment)
        numbers.removeAll { $0 < start.segment }
        var folded = start
        var repair: String?
        let startPath = segmentPath(journal: path, start.segment)
        if numbers == [start.segment], size(of: startPath) < start.offset {
            repair =
                "\(startPath) ends before byte \(start.offset), which the journal had folded already: every commit "
                + "it held is folded; a new segment follows it"
            numbers = []
        } else if numbers.isEmpty, start.offset > 0 {
            repair =
                "\(startPath) is gone, and the journal had folded \(start.offset) bytes of it: any commit after "
                + "those was lost with it; a new segment follows it"
        }
        if numbers.isEmpty {
            // Nothing after the folded position: a new journal, or a journal copied without its log.
            folded = Position(segment: start.segment + (start.offset > 0 ? 1 : 0), offset: 0)
            let first = segmentPath(journal: path, folded.segment)
            try createSegment(first, sync: sync)
            _ = prepareFirstSegment(first, journal: path, sync: sync, bytes: segmentBytes)
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
        var prefilled = 0
        var kind = SegmentReader.Kind.empty
        for number in numbers {
            let segment = segmentPath(journal: path, number)
            let scan = try Scan(
                path: segment, number: number, from: number == folded.segment ? folded.offset : 0,
                last: number == numbers.last)
            backlog += scan.records
            (end, prefilled, kind) = (scan.end, scan.size, scan.kind)
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
        var state = State(
            segment: newest, descriptor: descriptor, end: end, folded: folded, backlog: backlog, oldest: oldest,
            prefilled: prefilled)
        if case .salted(let salt) = kind {
            state.salt = salt
        }
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
        let file = FilePath(path)
        let directory = file.directory
        let prefix = file.name + "-log-"
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
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
        /// Where its frames end, where a torn frame was cut off, and the size of the file (with zeros after the frames).
        var end: Int
        var cut: Int?
        var size: Int
        /// What the segment's frames are known by.
        var kind: SegmentReader.Kind

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
            size = reader.size
            kind = reader.kind
            while end < reader.size {
                switch reader.frame(at: end, last: last) {
                case .frame(let frame, let length):
                    records += frame.count
                    end += length
                case .torn:
                    guard ftruncate(reader.descriptor, off_t(end)) == 0 else {
                        throw CommitLog.writeError(errno, path: path, doing: "cut the torn end of")
                    }
                    (cut, size) = (end, end)
                    return
                case .end:
                    return
                case .damaged:
                    throw CommitLog.damaged(path, offset: end)
                }
            }
        }
    }
}
