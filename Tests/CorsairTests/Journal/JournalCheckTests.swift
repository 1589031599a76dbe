import Foundation
import GRDB
import Testing

@testable import Corsair

/// SQLite's check of a journal on its own thread beside the restore (`SQLiteJournal.IntegrityCheck.besideRestore`,
/// as the broker opens its journal): a good file restores as before, a damaged one is still refused, and nothing of
/// the refused broker's is committed to it.
@Suite struct JournalCheckTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-check-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private var path: String { directory.appendingPathComponent("corsair.journal").path }

    /// A closed journal of `count` queued tasks whose batch names are 64 bytes long, so that the index by batch
    /// spans many pages.
    private func writeJournal(count: UInt64) throws {
        let journal = try SQLiteJournal(path: path, sync: .normal)
        defer { journal.close() }
        let batch = [UInt8](repeating: 0x62, count: 64)
        try journal.commit(
            EncodedRecords(
                (1...count).map {
                    .accepted(
                        AcceptedTask(
                            key: $0, batch: batch, id: "t\($0)", category: "a",
                            payload: [UInt8(truncatingIfNeeded: $0)],
                            priority: 0, timeoutMilliseconds: nil, maxAttempts: nil, submitted: 1000))
                }), lastKey: count)
    }

    /// Appends a commit of `record` to the closed journal's log, as a broker killed before folding it leaves it;
    /// returns the segment it went to and that segment's size.
    @discardableResult
    private func leaveCommitInLog(_ record: JournalRecord, lastKey: UInt64) throws -> (segment: UInt64, size: Int) {
        let raw = try DatabaseQueue(path: path)
        let folded = try raw.read { try SQLiteJournal.foldedPosition($0) }
        try raw.close()
        let (log, _) = try CommitLog.open(journal: path, folded: folded, sync: .normal)
        defer { log.close() }
        try log.append(EncodedRecords([record]), lastKey: lastKey)
        return (log.newestSegment, try segmentSize(log.newestSegment))
    }

    private func segmentSize(_ segment: UInt64) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: CommitLog.segmentPath(journal: path, segment))[.size]
            as? Int ?? -1
    }

    @Test("a good journal checked beside its restore gives back every task, its log folded, and notes the pid")
    func goodJournal() throws {
        try writeJournal(count: 2000)
        try leaveCommitInLog(
            .accepted(
                AcceptedTask(
                    key: 2001, batch: [1], id: "late", category: "a", payload: [], priority: 0,
                    timeoutMilliseconds: nil, maxAttempts: nil, submitted: 1000)),
            lastKey: 2001)

        let journal = try SQLiteJournal(path: path, sync: .normal, check: .besideRestore)
        #expect(journal.check != nil)
        var keys: [UInt64] = []
        let newest = try journal.restore(retainFinished: 10) { keys.append($0.accepted.key) }
        #expect(newest == 2001 && keys == Array(1...2001))
        let (pid, lastKey) = try journal.database.read { db in
            try (
                Int.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'pid'"),
                Int.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'last_key'")
            )
        }
        #expect(pid == Int(getpid()) && lastKey == 2001 && journal.backlog == 0)
        journal.close()

        let reopened = try SQLiteJournal(path: path, sync: .normal)
        defer { reopened.close() }
        #expect(try reopened.snapshot(retainFinished: 10).tasks.count == 2001)
    }

    @Test("a damaged journal checked beside its restore is refused with exit code 74 and SQLite's complaint")
    func damagedJournal() throws {
        try writeJournal(count: 3000)
        // A commit left in the log that the fold writes without touching the damaged index.
        let left = try leaveCommitInLog(.attemptStarted(key: 1, attempt: 1, worker: "w", started: 5), lastKey: 3000)
        // Overwrite the root page of the index by batch, which a restore does not read but SQLite's check does.
        let raw = try DatabaseQueue(path: path)
        let (pageSize, root) = try raw.read { db in
            try (
                Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0,
                Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'tasks_by_batch'") ?? 0
            )
        }
        try raw.close()
        #expect(pageSize > 0 && root > 1)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64((root - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: 0xff, count: pageSize))
        try handle.close()

        // Checked at open, the file is refused there.
        let atOpen = try #require(throws: JournalError.self) { try SQLiteJournal(path: path, sync: .full) }
        #expect(atOpen.kind == .corrupt)

        // Checked beside the restore, the read goes through and the check's failure refuses it.
        let journal = try SQLiteJournal(path: path, sync: .full, check: .besideRestore)
        var restored = 0
        var refusal: JournalError?
        do throws(JournalError) {
            _ = try journal.restore(retainFinished: 10) { _ in restored += 1 }
        } catch {
            refusal = error
        }
        journal.close()
        #expect(restored == 3000)
        let error = try #require(refusal)
        #expect(error.kind == .corrupt && error.exitCode == 74)
        #expect(error.description.contains(path) && error.description.contains(".recover"))
        #expect(error.message == atOpen.message)
        // The pid, written in the restore's transaction, was rolled back with the fold.
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? reader.close() }
        #expect(try reader.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM meta WHERE name = 'pid'") } == 0)
        // So was the fold of the log, whose segment is kept whole.
        #expect(try reader.read { try SQLiteJournal.foldedPosition($0) }.offset < left.size)
        #expect(try segmentSize(left.segment) == left.size)
    }
}
