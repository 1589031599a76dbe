import CorsairTestSupport
import Foundation
import Testing

@testable import Corsair

/// Segment files reused with `full`: folded segments kept as spares and renamed to become the next ones, their old
/// frames left in place and never read as commits of the new segment; a closing journal's newest segment kept as the
/// next; logs written before frames were numbered still read. On a tmpfs of its own, so that the room reuse needs
/// (``CommitLog/prefillMinimumFree``) is there on any machine.
@Suite(.enabled(if: TmpfsMount.permitted, "mount -t tmpfs is not permitted here (the test needs root); skipped"))
struct CommitLogReuseTests: ~Copyable {
    let directory: URL
    static let segmentBytes = 64 << 10
    static let start = CommitLog.Position(segment: 1, offset: 0)

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-reuse-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect(TmpfsMount.mount(directory, size: "1g"))
    }

    deinit {
        TmpfsMount.unmount(directory)
        try? FileManager.default.removeItem(at: directory)
    }

    private var journal: String { directory.appendingPathComponent("corsair.journal").path }

    private func open(at position: CommitLog.Position = start) throws -> (log: CommitLog, repair: String?) {
        try CommitLog.open(journal: journal, folded: position, sync: .full, segmentBytes: Self.segmentBytes)
    }

    /// Appends commits of ten 1 000-byte tasks from key `first` on until segment `segment` has begun; returns the
    /// key after the last.
    private func fill(_ log: CommitLog, through segment: UInt64, from first: UInt64) throws -> UInt64 {
        var key = first
        while log.newestSegment < segment {
            try log.append(CommitLogFixtures.records(10, from: key, bytes: 1000), lastKey: key + 9)
            key += 10
        }
        return key
    }

    private func inode(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : 0
    }

    @Test("folded segments become the next segments; their old frames are never read; the log reopens whole")
    func reuse() throws {
        var (log, _) = try open()
        let third = try fill(log, through: 3, from: 1)
        let position3 = CommitLog.Position(segment: 3, offset: 0)
        let (before, _) = try log.read(from: Self.start, records: 1 << 20)
        log.folded(through: position3, records: try CommitLogFixtures.keys(before).count - 10)
        let spares = CommitLog.spares(journal: journal).sorted()
        #expect(try spares.count == 2 && CommitLog.segments(journal: journal) == [3])
        let spareInode = inode(spares[0])

        let last = try fill(log, through: 5, from: third)
        #expect(CommitLog.spares(journal: journal).isEmpty)
        #expect(inode(CommitLog.segmentPath(journal: journal, 4)) == spareInode)
        try log.append(CommitLogFixtures.records(1, from: last), lastKey: last)
        let expected = Array(third - 10...last)
        #expect(try CommitLogFixtures.keys(log.read(from: position3, records: 1 << 20).frames) == expected)
        log.close()

        (log, _) = try open(at: position3)
        defer { log.close() }
        #expect(log.backlog == expected.count)
        #expect(try CommitLogFixtures.keys(log.read(from: position3, records: 1 << 20).frames) == expected)
    }

    @Test("a torn last commit in a reused segment is cut off; damage with a commit after it is refused")
    func tornAndDamagedInReuse() throws {
        let (log, _) = try open()
        let third = try fill(log, through: 3, from: 1)
        log.folded(through: CommitLog.Position(segment: 3, offset: 0), records: Int(third) - 11)
        let fifth = try fill(log, through: 4, from: third)
        try log.append(CommitLogFixtures.records(1, from: fifth), lastKey: fifth)
        let whole = try log.read(from: CommitLog.Position(segment: 4, offset: 0), records: 1 << 20).next.offset
        try log.append(CommitLogFixtures.records(1, from: fifth + 1, bytes: 500), lastKey: fifth + 1)
        log.close()
        let segment4 = CommitLog.segmentPath(journal: journal, 4)
        try overwrite(segment4, at: whole + CommitLog.headerBytes + 100, with: [0xEE])

        let (reopened, repair) = try open(at: CommitLog.Position(segment: 4, offset: 0))
        #expect(repair?.contains("-log-00000004") == true && repair?.contains("byte \(whole)") == true)
        #expect(reopened.backlog == 11)
        try reopened.append(CommitLogFixtures.records(1, from: 900), lastKey: 900)
        reopened.close()

        try overwrite(segment4, at: CommitLog.headerBytes + 100, with: [0xEE])
        let error = try #require(throws: JournalError.self) { try open(at: CommitLog.Position(segment: 4, offset: 0)) }
        #expect(error.kind == .corrupt && error.message.contains("damaged at byte 0"))
    }

    @Test("a payload carrying a whole frame of the segment, under another salt, is not a commit")
    func forgedFrame() throws {
        let (log, _) = try open()
        try log.append(CommitLogFixtures.records(2), lastKey: 2)
        let end = try log.read(from: Self.start, records: 10).next.offset
        log.close()
        let inner = CommitLogFixtures.records(1, from: 77).bytes
        let forged = CommitLog.header(inner, count: 1, lastKey: 77, segment: 1, salt: 42) + inner
        try overwrite(CommitLog.segmentPath(journal: journal, 1), at: end, with: forged)

        let (reopened, repair) = try open()
        defer { reopened.close() }
        #expect(repair == nil && reopened.backlog == 2)
        try reopened.append(CommitLogFixtures.records(1, from: 3), lastKey: 3)
        #expect(try CommitLogFixtures.keys(reopened.read(from: Self.start, records: 10).frames) == [1, 2, 3])
    }

    @Test("a closing journal's newest segment becomes the next, where the reopened log appends; spares go")
    func retire() throws {
        let (log, _) = try open()
        let third = try fill(log, through: 3, from: 1)
        log.folded(through: CommitLog.Position(segment: 2, offset: 0), records: 0)
        #expect(CommitLog.spares(journal: journal).count == 1)
        let newest = inode(CommitLog.segmentPath(journal: journal, 3))
        log.folded(through: CommitLog.Position(segment: 4, offset: 0), records: Int(third) - 1)
        log.close()
        #expect(try CommitLog.segments(journal: journal) == [4] && CommitLog.spares(journal: journal).isEmpty)
        #expect(inode(CommitLog.segmentPath(journal: journal, 4)) == newest)

        let (reopened, repair) = try open(at: CommitLog.Position(segment: 4, offset: 0))
        defer { reopened.close() }
        #expect(repair == nil && reopened.backlog == 0)
        try reopened.append(CommitLogFixtures.records(1, from: 500), lastKey: 500)
        let (frames, _) = try reopened.read(from: CommitLog.Position(segment: 4, offset: 0), records: 100)
        #expect(try CommitLogFixtures.keys(frames) == [500])
    }

    @Test("frames written before they were numbered are read, and their segment is deleted, not reused, once folded")
    func unnumberedFrames() throws {
        let path = CommitLog.segmentPath(journal: journal, 1)
        var file: [UInt8] = []
        for key in stride(from: UInt64(1), through: 61, by: 10) {
            let payload = CommitLogFixtures.records(10, from: key, bytes: 1000).bytes
            file += Self.unnumberedHeader(payload, count: 10, lastKey: key + 9) + payload
        }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(file)))

        let (log, repair) = try open()
        defer { log.close() }
        #expect(repair == nil && log.backlog == 70)
        _ = try fill(log, through: 2, from: 71)
        let (frames, _) = try log.read(from: Self.start, records: 1 << 20)
        #expect(try CommitLogFixtures.keys(frames).prefix(80) == ArraySlice(1...80))
        log.folded(through: CommitLog.Position(segment: 2, offset: 0), records: 70)
        #expect(CommitLog.spares(journal: journal).isEmpty && !FileManager.default.fileExists(atPath: path))
    }

    /// A 28-byte header as logs wrote them before frames were numbered.
    private static func unnumberedHeader(_ payload: [UInt8], count: Int, lastKey: UInt64) -> [UInt8] {
        var header: [UInt8] = []
        func append<Value: FixedWidthInteger>(_ value: Value) {
            withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) }
        }
        append(CommitLog.unnumberedMagic)
        append(UInt32(payload.count))
        append(UInt32(count))
        append(lastKey)
        append(payload.withUnsafeBytes { CRC32C.checksum($0) })
        append(header.withUnsafeBytes { CRC32C.checksum($0) })
        return header
    }

    private func overwrite(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: bytes)
        try handle.close()
    }
}
