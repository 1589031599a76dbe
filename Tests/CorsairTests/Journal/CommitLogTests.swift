import CorsairTestSupport
import Foundation
import Testing

@testable import Corsair

/// The journal's append-only log on its own: frames in and out across segments, what opening it repairs (a torn last
/// commit) and what it refuses (damage anywhere else, a missing segment), and segments deleted once folded.
@Suite struct CommitLogTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-log-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private var journal: String { directory.appendingPathComponent("corsair.journal").path }

    private static let start = CommitLog.Position(segment: 1, offset: 0)

    private func open(
        at position: CommitLog.Position = start,
        segmentBytes: Int = CommitLog.defaultSegmentBytes
    ) throws -> (log: CommitLog, repair: String?) {
        try CommitLog.open(journal: journal, folded: position, sync: .normal, segmentBytes: segmentBytes)
    }

    private static func records(_ count: Int, from first: UInt64 = 1, bytes: Int = 8) -> EncodedRecords {
        CommitLogFixtures.records(count, from: first, bytes: bytes)
    }

    private func size(_ segment: UInt64) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: CommitLog.segmentPath(journal: journal, segment))[.size]
            as? Int ?? -1
    }

    private func keys(_ frames: [CommitLog.Frame]) throws -> [UInt64] {
        try CommitLogFixtures.keys(frames)
    }

    @Test("CRC-32C gives the check values of RFC 3720 and of the Castagnoli standard's test string")
    func checksums() {
        let vectors: [([UInt8], UInt32)] = [
            (Array("123456789".utf8), 0xE306_9283),
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            ((0..<32).map(UInt8.init), 0x46DD_794E),
            ((0..<32).reversed().map(UInt8.init), 0x113F_DB5C),
        ]
        for (bytes, expected) in vectors {
            #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == expected)
        }
        let whole = Array("123456789".utf8)
        let split = whole.withUnsafeBytes {
            CRC32C.checksum(
                UnsafeRawBufferPointer(rebasing: $0[5...]),
                continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<5])))
        }
        #expect(split == 0xE306_9283)
    }

    @Test("frames come back in order, whole, across segments, and folded segments are deleted")
    func appendAndRead() throws {
        let (log, repair) = try open(segmentBytes: 1000)
        defer { log.close() }
        #expect(repair == nil)
        for commit in 0..<6 {
            try log.append(Self.records(10, from: UInt64(commit * 10 + 1)), lastKey: UInt64(commit * 10 + 10))
        }
        #expect(log.backlog == 60)
        #expect(try CommitLog.segments(journal: journal).count > 1)
        let (first, middle) = try log.read(from: log.foldedPosition, records: 25)
        #expect(first.map(\.count) == [10, 10, 10] && first.map(\.lastKey) == [10, 20, 30])
        #expect(try keys(first) == Array(1...30))
        log.folded(through: middle, records: 30)
        #expect(log.backlog == 30)
        #expect(try CommitLog.segments(journal: journal).first == middle.segment)
        let (rest, end) = try log.read(from: middle, records: 1000)
        #expect(try keys(rest) == Array(31...60))
        #expect(try log.read(from: end, records: 1000).frames.isEmpty)
    }

    @Test("a reopened log counts what is left after the folded position and appends after it")
    func reopen() throws {
        let (log, _) = try open()
        try log.append(Self.records(3), lastKey: 3)
        let (frames, next) = try log.read(from: Self.start, records: 1)
        #expect(frames.count == 1)
        try log.append(Self.records(2, from: 4), lastKey: 5)
        log.close()

        let (reopened, repair) = try open(at: next)
        defer { reopened.close() }
        #expect(repair == nil && reopened.backlog == 2)
        try reopened.append(Self.records(1, from: 6), lastKey: 6)
        #expect(try keys(reopened.read(from: next, records: 100).frames) == [4, 5, 6])
    }

    @Test(
        "a torn last commit is cut off at open: cut short, failing its checksum, zeros after part of it",
        arguments: [0, 1, 2])
    func tornTail(kind: Int) throws {
        let (log, _) = try open()
        try log.append(Self.records(2), lastKey: 2)
        let whole = try size(1)
        try log.append(Self.records(2, from: 3, bytes: 100), lastKey: 4)
        log.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: CommitLog.segmentPath(journal: journal, 1)))
        switch kind {
        case 0:
            try handle.truncate(atOffset: UInt64(try size(1) - 7))
        case 1:
            try handle.seek(toOffset: UInt64(try size(1) - 3))
            try handle.write(contentsOf: [0xEE])
        default:
            // Written over zeros ahead of the frames (`--journal-sync full`), the torn frame's end never reached.
            try handle.seek(toOffset: UInt64(whole + 60))
            try handle.write(contentsOf: [UInt8](repeating: 0, count: 4096))
        }
        try handle.close()

        let (reopened, repair) = try open()
        defer { reopened.close() }
        let message = try #require(repair)
        #expect(message.contains("-log-00000001") && message.contains("byte \(whole)"))
        #expect(try reopened.backlog == 2 && size(1) == whole)
        try reopened.append(Self.records(1, from: 5), lastKey: 5)
        #expect(try keys(reopened.read(from: Self.start, records: 100).frames) == [1, 2, 5])
    }

    @Test("zeros after the last frame are room written ahead, not damage: kept, and the next commit goes over them")
    func zerosAhead() throws {
        let (log, _) = try open()
        try log.append(Self.records(2), lastKey: 2)
        let whole = try size(1)
        log.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: CommitLog.segmentPath(journal: journal, 1)))
        try handle.seekToEnd()
        try handle.write(contentsOf: [UInt8](repeating: 0, count: 4096))
        try handle.close()

        let (reopened, repair) = try open()
        defer { reopened.close() }
        #expect(try repair == nil && reopened.backlog == 2 && size(1) == whole + 4096)
        try reopened.append(Self.records(1, from: 3), lastKey: 3)
        #expect(try keys(reopened.read(from: Self.start, records: 100).frames) == [1, 2, 3])
        #expect(try size(1) == whole + 4096)
    }

    @Test("with full, a new journal's first segment is zeros whole, later ones get them a MiB at a time, given room")
    func prefill() throws {
        let segmentBytes = 3 << 20
        let (log, _) = try CommitLog.open(journal: journal, folded: Self.start, sync: .full, segmentBytes: segmentBytes)
        defer { log.close() }
        let roomy =
            (try? FileManager.default.attributesOfFileSystem(forPath: directory.path)[.systemFreeSize])
            .flatMap { $0 as? Int }.map { UInt64($0) >= CommitLog.prefillMinimumFree } ?? false
        #expect(try size(1) == (roomy ? segmentBytes : 0))
        while log.newestSegment == 1 {
            try log.append(Self.records(100, bytes: 1000), lastKey: 0)
        }
        let written = try log.read(from: CommitLog.Position(segment: 2, offset: 0), records: 1000).next.offset
        #expect(try size(2) == (roomy ? CommitLog.prefillBytes : written))
    }

    @Test("damage before the last commit, or in a segment before the last, is refused naming the file and the byte")
    func damage() throws {
        let (log, _) = try open(segmentBytes: 100)
        try log.append(Self.records(2, bytes: 100), lastKey: 2)
        try log.append(Self.records(2, from: 3, bytes: 100), lastKey: 4)
        log.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: CommitLog.segmentPath(journal: journal, 1)))
        try handle.seek(toOffset: 40)
        try handle.write(contentsOf: [0xEE])
        try handle.close()

        let error = try #require(throws: JournalError.self) { try open(segmentBytes: 100) }
        #expect(error.kind == .corrupt && error.exitCode == 74)
        #expect(error.path.hasSuffix("-log-00000001") && error.message.contains("damaged at byte 0"))
    }

    @Test("a damaged length in the last segment is damage: the whole commits after it are not cut off as torn")
    func damagedLength() throws {
        let (log, _) = try open()
        for key in 1...4 {
            try log.append(Self.records(1, from: UInt64(key)), lastKey: UInt64(key))
        }
        log.close()
        let second = try size(1) / 4
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: CommitLog.segmentPath(journal: journal, 1)))
        // The high byte of the second frame's length: it now runs far past the end of the file.
        try handle.seek(toOffset: UInt64(second + 7))
        try handle.write(contentsOf: [0x40])
        try handle.close()

        let error = try #require(throws: JournalError.self) { try open() }
        #expect(error.kind == .corrupt && error.message.contains("damaged at byte \(second)"))
        #expect(try size(1) == second * 4)
    }

    @Test("a damaged first header in the last segment, with commits after it, is damage, not a torn first commit")
    func damagedFirstHeader() throws {
        let (log, _) = try open()
        for key in 1...2 {
            try log.append(Self.records(1, from: UInt64(key)), lastKey: UInt64(key))
        }
        log.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: CommitLog.segmentPath(journal: journal, 1)))
        try handle.seek(toOffset: UInt64(CommitLog.headerBytes - 4))
        try handle.write(contentsOf: [0xEE, 0xEE])
        try handle.close()

        let error = try #require(throws: JournalError.self) { try open() }
        #expect(error.kind == .corrupt && error.message.contains("damaged at byte 0"))
    }

    @Test("a missing segment between others is refused, naming it")
    func missingSegment() throws {
        let (log, _) = try open(segmentBytes: 10)
        for key in 1...3 {
            try log.append(Self.records(1, from: UInt64(key)), lastKey: UInt64(key))
        }
        log.close()
        #expect(try CommitLog.segments(journal: journal) == [1, 2, 3])
        unlink(CommitLog.segmentPath(journal: journal, 2))
        let error = try #require(throws: JournalError.self) { try open(segmentBytes: 10) }
        #expect(error.kind == .corrupt && error.path.hasSuffix("-log-00000002") && error.message.contains("missing"))
    }

    @Test("a folded position past the end of the only segment (a copy taken before the database's) starts anew")
    func foldedPastEnd() throws {
        let (log, _) = try open()
        try log.append(Self.records(2), lastKey: 2)
        log.close()
        let (reopened, repair) = try open(at: CommitLog.Position(segment: 1, offset: 1 << 20))
        defer { reopened.close() }
        #expect(repair?.contains("folded already") == true && reopened.backlog == 0)
        #expect(reopened.foldedPosition == CommitLog.Position(segment: 2, offset: 0))
        try reopened.append(Self.records(1, from: 3), lastKey: 3)
        let (frames, next) = try reopened.read(from: reopened.foldedPosition, records: 10)
        #expect(try keys(frames) == [3])
        // The old segment goes with the first fold, once the database holding the position is known good.
        #expect(try CommitLog.segments(journal: journal) == [1, 2])
        reopened.folded(through: next, records: 1)
        #expect(try CommitLog.segments(journal: journal) == [2])
    }

    @Test("a position in a segment that is gone (a journal copied without its log) starts anew and says so")
    func segmentGone() throws {
        let (log, repair) = try open(at: CommitLog.Position(segment: 3, offset: 500))
        defer { log.close() }
        #expect(repair?.contains("-log-00000003 is gone") == true)
        #expect(log.foldedPosition == CommitLog.Position(segment: 4, offset: 0))
        #expect(try CommitLog.segments(journal: journal) == [4])
    }

    @Test(
        "a full disk fails the append with `full` and leaves the log ending at its last whole commit",
        .enabled(if: TmpfsMount.permitted, "mount -t tmpfs is not permitted here (the test needs root); skipped"))
    func diskFull() throws {
        let mount = directory.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        #expect(TmpfsMount.mount(mount, size: "64k"))
        defer { TmpfsMount.unmount(mount) }
        let path = mount.appendingPathComponent("corsair.journal").path
        let (log, _) = try CommitLog.open(journal: path, folded: Self.start, sync: .full)
        var appended = 0
        var failure: JournalError?
        while failure == nil, appended < 1000 {
            do {
                try log.append(Self.records(4, from: UInt64(appended * 4 + 1), bytes: 1000), lastKey: 0)
                appended += 1
            } catch {
                failure = error
            }
        }
        log.close()
        #expect(failure?.kind == .full)
        let (reopened, repair) = try CommitLog.open(journal: path, folded: Self.start, sync: .full)
        defer { reopened.close() }
        #expect(repair == nil && reopened.backlog == appended * 4)
    }
}
