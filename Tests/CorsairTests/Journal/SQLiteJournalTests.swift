import Foundation
import GRDB
import Testing

@testable import Corsair

/// The SQLite journal on its own: what it stores and gives back, and how it refuses files it cannot use.
@Suite struct SQLiteJournalTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-journal-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func path(_ name: String = "corsair.journal") -> String {
        directory.appendingPathComponent(name).path
    }

    /// `count` accepted tasks of 2 000-byte payloads, keys from 1.
    private static func largeTasks(_ count: UInt64) -> [JournalRecord] {
        let payload = [UInt8](repeating: 7, count: 2000)
        return (1...count).map {
            .accepted(
                AcceptedTask(
                    key: $0, batch: [1], id: "t\($0)", category: "a", payload: payload, priority: 0,
                    timeoutMilliseconds: nil, maxAttempts: nil, submitted: 0))
        }
    }

    @Test("a new journal is a WAL file with incremental vacuum, marked as Corsair's, at the current schema")
    func newFile() throws {
        let journal = try SQLiteJournal(path: path(), sync: .full)
        defer { journal.close() }
        let pragmas = try journal.database.read { db in
            try ["journal_mode", "auto_vacuum", "application_id", "user_version", "synchronous"].map {
                try String.fetchOne(db, sql: "PRAGMA \($0)") ?? ""
            }
        }
        #expect(pragmas == ["wal", "2", "\(0x4352_5352)", "\(SQLiteJournal.schemaVersion)", "2"])
    }

    @Test(
        "a commit is one frame of the log; a fold moves whole frames into tasks, oldest first, and reads fold the rest")
    func logAndFold() throws {
        let journal = try SQLiteJournal(path: path(), sync: .normal)
        defer { journal.close() }
        try journal.commit(EncodedRecords([JournalRecord.sample(1), JournalRecord.sample(2)]), lastKey: 2)
        try journal.commit(EncodedRecords([JournalRecord.sampleFinished(1), JournalRecord.sample(3)]), lastKey: 3)
        #expect(journal.backlog == 4)
        let rows = { try journal.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM tasks") } }
        #expect(try rows() == 0)
        #expect(try journal.fold(limit: 1) == 2)
        #expect(journal.backlog == 2)
        #expect(try rows() == 2)
        let tasks = try journal.snapshot(retainFinished: 10).tasks
        #expect(tasks.map(\.state) == [.succeeded, .queued, .queued])
        #expect(journal.backlog == 0)
        #expect(try journal.fold(limit: 10) == 0)
    }

    @Test("a closed journal has folded its log and deleted it; reopened, it starts the next segment")
    func closeRetiresLog() throws {
        let journal = try SQLiteJournal(path: path(), sync: .normal)
        try journal.commit(EncodedRecords([JournalRecord.sample(1), JournalRecord.sample(2)]), lastKey: 2)
        #expect(try CommitLog.segments(journal: path()) == [1])
        journal.close()
        #expect(try CommitLog.segments(journal: path()).isEmpty)
        let reopened = try SQLiteJournal(path: path(), sync: .normal)
        defer { reopened.close() }
        #expect(try CommitLog.segments(journal: path()) == [2] && reopened.backlog == 0)
        try reopened.commit(EncodedRecords([JournalRecord.sampleFinished(1)]), lastKey: 2)
        #expect(try reopened.snapshot(retainFinished: 10).tasks.map(\.state) == [.succeeded, .queued])
    }

    @Test("folds reach the database file from the checkpoint thread, long before SQLite's own checkpoint would")
    func checkpointedBeside() async throws {
        let journal = try SQLiteJournal(path: path(), sync: .normal)
        defer { journal.close() }
        let before = try Self.size(of: path())
        // 600 kB, some 150 pages: far below the 10 000 pages at which the writer's own commit copies the WAL back.
        try journal.commit(EncodedRecords(Self.largeTasks(300)), lastKey: 300)
        #expect(try journal.fold(limit: 1000) == 300)
        var size = before
        for _ in 0..<200 where size < before + 600_000 {
            try await Task.sleep(for: .milliseconds(25))
            size = try Self.size(of: path())
        }
        #expect(size >= before + 600_000, "the database file grew from \(before) to \(size) bytes only")
    }

    @Test("the WAL is filled with zeros ahead of SQLite at open, and a copy taken as a crash leaves it reads its tasks")
    func preparedLog() throws {
        let journal = try SQLiteJournal(path: path(), sync: .full)
        defer { journal.close() }
        try journal.commit(EncodedRecords((1...3).map { JournalRecord.sample($0) }), lastKey: 3)
        let roomy = try #require(journal.freeSpace()).available >= 64 * UInt64(SQLiteJournal.preparedLogBytes)
        let logSize = try Self.size(of: path() + "-wal")
        #expect((logSize >= SQLiteJournal.preparedLogBytes) == roomy, "WAL of \(logSize) bytes")
        // The database file, its WAL and its log as a SIGKILL leaves them: no shared-memory index, zeros after the
        // WAL's frames.
        let copy = path("copy.journal")
        try copyFiles(to: copy, skipping: ["-shm"])
        let reopened = try SQLiteJournal(path: copy, sync: .full)
        defer { reopened.close() }
        let snapshot = try reopened.snapshot(retainFinished: 10)
        #expect(snapshot.tasks.map(\.accepted.key) == [1, 2, 3] && snapshot.lastKey == 3)
    }

    /// Copies the journal's files to `copy` and files named after it, but for those whose names end in `skipping`.
    private func copyFiles(to copy: String, skipping: [String] = []) throws {
        for file in SQLiteJournal.files(path: path()) where FileManager.default.fileExists(atPath: file) {
            let suffix = String(file.dropFirst(path().count))
            if !skipping.contains(suffix) {
                try FileManager.default.copyItem(atPath: file, toPath: copy + suffix)
            }
        }
    }

    private static func size(of path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }

    @Test("a schema version 1 journal is migrated: the log table added, its tasks kept")
    func migratesVersion1() throws {
        let old = try DatabaseQueue(path: path())
        try old.writeWithoutTransaction { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
                    CREATE TABLE tasks(
                        key INTEGER PRIMARY KEY, batch BLOB NOT NULL, id TEXT NOT NULL, category TEXT NOT NULL,
                        payload BLOB, priority INTEGER NOT NULL, timeout_ms INTEGER, max_attempts INTEGER,
                        submitted_ms INTEGER NOT NULL, not_before_ms INTEGER, state INTEGER NOT NULL DEFAULT 0,
                        attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, started_ms INTEGER, last_error TEXT,
                        history TEXT, output BLOB, finished_ms INTEGER);
                    INSERT INTO meta(name, value) VALUES ('last_key', 4);
                    INSERT INTO tasks(key, batch, id, category, payload, priority, submitted_ms)
                        VALUES (4, x'62', 't4', 'a', x'04', 0, 1004);
                    PRAGMA application_id = \(0x4352_5352);
                    PRAGMA user_version = 1;
                    """)
        }
        try old.close()
        let journal = try SQLiteJournal(path: path(), sync: .normal)
        defer { journal.close() }
        #expect(try journal.database.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 3)
        let snapshot = try journal.snapshot(retainFinished: 10)
        #expect(snapshot.lastKey == 4 && snapshot.tasks.map(\.accepted.id) == ["t4"])
        try journal.commit(EncodedRecords([JournalRecord.sample(5)]), lastKey: 5)
        #expect(try journal.snapshot(retainFinished: 10).tasks.map(\.accepted.key) == [4, 5])
    }

    @Test("a schema version 2 journal is migrated: the rows of its log table become the log's first segment")
    func migratesVersion2() throws {
        let journal = try SQLiteJournal(path: path(), sync: .normal)
        try journal.commit(EncodedRecords([JournalRecord.sample(1)]), lastKey: 1)
        journal.close()
        // Version 2's shape: a log table holding two commits, no log position, no segments.
        let old = try DatabaseQueue(path: path())
        try old.writeWithoutTransaction { db in
            try db.execute(
                sql: """
                    CREATE TABLE log(seq INTEGER PRIMARY KEY, count INTEGER NOT NULL, records BLOB NOT NULL);
                    DELETE FROM meta WHERE name IN ('log_segment', 'log_offset');
                    UPDATE meta SET value = 3 WHERE name = 'last_key';
                    PRAGMA user_version = 2;
                    """)
            for records in [[JournalRecord.sample(2)], [JournalRecord.sampleFinished(1), JournalRecord.sample(3)]] {
                try db.execute(
                    sql: "INSERT INTO log(count, records) VALUES (?, ?)",
                    arguments: [records.count, Data(EncodedRecords(records).bytes)])
            }
        }
        try old.close()
        for segment in try CommitLog.segments(journal: path()) {
            unlink(CommitLog.segmentPath(journal: path(), segment))
        }

        let migrated = try SQLiteJournal(path: path(), sync: .normal)
        defer { migrated.close() }
        let (version, tables) = try migrated.database.read { db in
            try (
                Int.fetchOne(db, sql: "PRAGMA user_version"),
                Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'log'")
            )
        }
        #expect(version == 3 && tables == 0 && migrated.backlog == 3)
        let snapshot = try migrated.snapshot(retainFinished: 10)
        #expect(snapshot.lastKey == 3 && snapshot.tasks.map(\.state) == [.succeeded, .queued, .queued])
    }

    @Test(
        "a journal opened without its log stores where the new segment starts, so commits to it survive a crash",
        arguments: [SQLiteJournal.IntegrityCheck.atOpen, .besideRestore])
    func newSegmentStored(check: SQLiteJournal.IntegrityCheck) throws {
        let original = try SQLiteJournal(path: path(), sync: .normal)
        defer { original.close() }
        try original.commit(EncodedRecords([JournalRecord.sample(1), JournalRecord.sample(2)]), lastKey: 2)
        #expect(try original.fold(limit: 10) == 2)
        // The database alone, as a backup that left the log out takes it.
        let copy = path("copy.journal")
        let source = try DatabaseQueue(path: path())
        try source.backup(to: DatabaseQueue(path: copy))
        try source.close()

        let journal = try SQLiteJournal(path: copy, sync: .normal, check: check)
        defer { journal.close() }
        #expect(journal.repair?.contains("is gone") == true)
        if check == .besideRestore {
            #expect(try journal.restore(retainFinished: 10) { _ in } == 2)
        }
        try journal.commit(EncodedRecords([JournalRecord.sample(3)]), lastKey: 3)
        // The copy's files as a SIGKILL leaves them, the commit still in the new segment.
        let crashed = path("crashed.journal")
        for file in SQLiteJournal.files(path: copy) where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.copyItem(atPath: file, toPath: crashed + file.dropFirst(copy.count))
        }
        let reopened = try SQLiteJournal(path: crashed, sync: .normal)
        defer { reopened.close() }
        #expect(reopened.repair == nil && reopened.backlog == 1)
        #expect(try reopened.snapshot(retainFinished: 10).tasks.map(\.accepted.key) == [1, 2, 3])
    }

    @Test("a copy of the journal's files as a SIGKILL leaves them gives back the commits still in the log")
    func restoresUnfoldedCommits() throws {
        let journal = try SQLiteJournal(path: path(), sync: .full)
        defer { journal.close() }
        try journal.commit(EncodedRecords([JournalRecord.sample(1), JournalRecord.sample(2)]), lastKey: 2)
        #expect(try journal.fold(limit: 1) == 2)
        try journal.commit(EncodedRecords([JournalRecord.sampleFinished(1), JournalRecord.sample(3)]), lastKey: 3)
        let copy = path("copy.journal")
        try copyFiles(to: copy)
        let reopened = try SQLiteJournal(path: copy, sync: .full)
        defer { reopened.close() }
        #expect(reopened.backlog == 2 && reopened.repair == nil)
        let snapshot = try reopened.snapshot(retainFinished: 10)
        #expect(snapshot.lastKey == 3 && snapshot.tasks.map(\.state) == [.succeeded, .queued, .queued])
    }

    @Test(
        "a backup as the README takes it (the log, then the database) has every commit the log or the database held",
        arguments: [false, true])
    func backupWhileRunning(foldedPastCopy: Bool) throws {
        let journal = try SQLiteJournal(path: path(), sync: .full)
        defer { journal.close() }
        try journal.commit(EncodedRecords([JournalRecord.sample(1), JournalRecord.sample(2)]), lastKey: 2)
        #expect(try journal.fold(limit: 1) == 2)
        try journal.commit(EncodedRecords([JournalRecord.sampleFinished(1)]), lastKey: 2)
        let copy = path("copy.journal")
        for file in SQLiteJournal.files(path: path()) where file.contains("-log-") {
            try FileManager.default.copyItem(atPath: file, toPath: copy + file.dropFirst(path().count))
        }
        // Between the two steps the broker goes on: a commit, folded or not before the backup.
        try journal.commit(EncodedRecords([JournalRecord.sample(3)]), lastKey: 3)
        if foldedPastCopy {
            #expect(try journal.fold(limit: 100) == 2)
        }
        let source = try DatabaseQueue(path: path())
        try source.backup(to: DatabaseQueue(path: copy))
        try source.close()

        let restored = try SQLiteJournal(path: copy, sync: .full)
        defer { restored.close() }
        let snapshot = try restored.snapshot(retainFinished: 10)
        #expect(
            snapshot.tasks.map(\.state) == (foldedPastCopy ? [.succeeded, .queued, .queued] : [.succeeded, .queued]))
    }

    @Test("a new journal beside log segments of an earlier one is refused, naming them")
    func staleLog() throws {
        let journal = try SQLiteJournal(path: path(), sync: .normal)
        defer { journal.close() }
        try journal.commit(EncodedRecords([JournalRecord.sample(1)]), lastKey: 1)
        // The log of a broker killed before it folded it, beside no database.
        let copy = path("copy.journal")
        try FileManager.default.copyItem(
            atPath: CommitLog.segmentPath(journal: path(), 1), toPath: CommitLog.segmentPath(journal: copy, 1))
        let error = try #require(throws: JournalError.self) { try SQLiteJournal(path: copy, sync: .normal) }
        #expect(error.kind == .corrupt && error.message.contains("copy.journal-log-00000001"))
    }

    @Test("a second opener is refused, naming the holder's pid; exit code 73")
    func secondOpener() throws {
        let journal = try SQLiteJournal(path: path(), sync: .full)
        defer { journal.close() }
        let error = try #require(throws: JournalError.self) { try SQLiteJournal(path: path(), sync: .full) }
        #expect(error.kind == .inUse(pid: Int(getpid())))
        #expect(error.description.contains("pid \(getpid())") && error.description.contains(path()))
        #expect(error.exitCode == 73)
    }

    @Test("a missing directory is refused with exit code 73, naming the directory")
    func missingDirectory() throws {
        let missing = directory.appendingPathComponent("nowhere/corsair.journal").path
        let error = try #require(throws: JournalError.self) { try SQLiteJournal(path: missing, sync: .full) }
        #expect(error.kind == .cannotCreate && error.exitCode == 73)
        #expect(error.description.contains("does not exist"))
    }

    @Test("a file that is not a journal, or a truncated journal, is refused with exit code 74 and how to recover")
    func corruptFiles() throws {
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path("garbage")))
        let garbage = try #require(throws: JournalError.self) { try SQLiteJournal(path: path("garbage"), sync: .full) }
        #expect(garbage.kind == .corrupt && garbage.exitCode == 74)
        #expect(garbage.description.contains(".recover"))

        let journal = try SQLiteJournal(path: path(), sync: .normal)
        try journal.commit(EncodedRecords(Self.largeTasks(300)), lastKey: 300)
        journal.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path()))
        try handle.truncate(atOffset: try handle.seekToEnd() / 2)
        try handle.close()
        let truncated = try #require(throws: JournalError.self) { try SQLiteJournal(path: path(), sync: .full) }
        #expect(truncated.kind == .corrupt && truncated.exitCode == 74)
    }
}
