import Logging
import Synchronization
import Testing

@testable import Corsair

/// The journal writer's thread: passes committed in order, whole, and a damaged journal reported as fatal.
@Suite struct JournalWriterTests {
    /// A journal in memory that keeps each commit's records, and fails as told.
    final class ListJournal: Journal {
        let commits = Mutex<[[JournalRecord]]>([])
        let failure = Mutex<JournalError.Kind?>(nil)
        let location = "list"

        func snapshot(retainFinished: Int) throws(JournalError) -> JournalSnapshot {
            JournalSnapshot(lastKey: 0, tasks: [])
        }

        func commit(_ records: EncodedRecords, lastKey: UInt64) throws(JournalError) {
            if let kind = failure.withLock({ $0 }) { throw JournalError(kind, path: location, "told to fail") }
            guard let decoded = try? records.decoded() else {
                throw JournalError(.corrupt, path: location, "the records handed over do not decode")
            }
            commits.withLock { $0.append(decoded) }
        }

        func finishedResults(batch: [UInt8], afterKey: UInt64?, limit: Int) throws(JournalError) -> [KeyedResult] {
            []
        }

        func tasks(matching query: TaskQuery) throws(JournalError) -> [TaskStatus] { [] }

        func deleteFinished(before cutoff: UInt64, limit: Int) throws(JournalError) -> Int { 0 }

        func freeSpace() -> (available: UInt64, total: UInt64)? { nil }

        func close() {}
    }

    private static func started(_ key: UInt64) -> JournalRecord {
        .attemptStarted(key: key, attempt: 1, worker: "w", started: key)
    }

    @Test("passes are committed in the order they were handed over, and reported committed through the newest")
    func order() throws {
        let journal = ListJournal()
        let reports = Mutex<[UInt64]>([])
        let writer = JournalWriter(journal: journal, resultTTL: .seconds(60), logger: .init(label: "test")) {
            if case .committed(let through) = $0 { reports.withLock { $0.append(through) } }
        }
        writer.start()
        for pass in UInt64(1)...50 {
            writer.commit(
                EncodedRecords([Self.started(pass * 2), Self.started(pass * 2 + 1)]), lastKey: pass, pass: pass)
        }
        guard case .committed(let through) = writer.drain() else {
            Issue.record("the commits did not succeed")
            return
        }
        #expect(through == 50)
        guard case .committed = writer.finish() else {
            Issue.record("finishing did not report the commits")
            return
        }
        #expect(journal.commits.withLock { $0.flatMap { $0 } } == (UInt64(2)...101).map(Self.started))
        let reported = reports.withLock { $0 }
        #expect(reported == reported.sorted() && reported.last == 50)
    }

    @Test("a failed commit keeps its pass queued; a damaged journal is fatal and stops the writer")
    func failures() throws {
        let journal = ListJournal()
        journal.failure.withLock { $0 = .full }
        let writer = JournalWriter(journal: journal, resultTTL: .seconds(60), logger: .init(label: "test")) { _ in }
        writer.start()
        writer.commit(EncodedRecords([Self.started(1)]), lastKey: 1, pass: 1)
        guard case .failed(let error) = writer.drain() else {
            Issue.record("a full journal was not reported")
            return
        }
        #expect(error.kind == .full)
        journal.failure.withLock { $0 = .corrupt }
        guard case .fatal(let fatal) = writer.finish() else {
            Issue.record("a damaged journal was not fatal")
            return
        }
        #expect(fatal.kind == .corrupt)
        #expect(journal.commits.withLock { $0.isEmpty })
    }

    @Test("an idle writer lets the loop commit a pass itself; with a pass queued it refuses, so passes stay in order")
    func ownCommit() throws {
        let journal = ListJournal()
        let writer = JournalWriter(journal: journal, resultTTL: .seconds(60), logger: .init(label: "test")) { _ in }
        writer.start()
        #expect(writer.commitNow(EncodedRecords([Self.started(1)]), lastKey: 1, pass: 1))
        journal.failure.withLock { $0 = .full }
        writer.commit(EncodedRecords([Self.started(2)]), lastKey: 2, pass: 2)
        guard case .failed = writer.drain() else {
            Issue.record("a full journal was not reported")
            return
        }
        journal.failure.withLock { $0 = nil }
        #expect(!writer.commitNow(EncodedRecords([Self.started(3)]), lastKey: 3, pass: 3))
        writer.commit(EncodedRecords([Self.started(3)]), lastKey: 3, pass: 3)
        guard case .committed(let through) = writer.finish() else {
            Issue.record("the queued passes were not committed")
            return
        }
        #expect(through == 3)
        #expect(journal.commits.withLock { $0.flatMap { $0 } } == (UInt64(1)...3).map(Self.started))
    }
}
