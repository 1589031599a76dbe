import Testing

@testable import Corsair

/// The index behind status queries by state: newest entry first, each task once, stale keys dropped by compaction.
@Suite struct TaskStateIndexTests {
    /// A table of `count` queued tasks in one category whose queue tells `index` of their changes.
    func table(_ count: Int, index: TaskStateIndex) -> (TaskTable, [TaskRecord]) {
        var table = TaskTable()
        let queue = CategoryQueue(name: "a", isOrdered: false, stateIndex: index)
        let session = BatchSession(bytes: [1])
        let records = (1...count).map { key in
            TaskRecord(
                key: TaskKey(rawValue: UInt64(key)), id: "t\(key)", queue: queue, priority: 0,
                origin: .batch(session), timeout: nil, maxAttempts: nil, body: .single([]))
        }
        for record in records {
            table.insert(record)
        }
        return (table, records)
    }

    @Test("keys come back most recent first, with the ones that left the state still in until compaction")
    func newestFirst() {
        let index = TaskStateIndex()
        let (table, records) = table(3, index: index)
        records[0].state = .running
        records[0].state = .queued
        #expect(index.newest(in: .queued).map(\.rawValue) == [1, 3, 2, 1])
        #expect(index.newest(in: .running).map(\.rawValue) == [1])
        index.compact(against: table)
        #expect(index.newest(in: .queued).map(\.rawValue) == [1, 3, 2, 1])
        #expect(index.newest(in: .running).isEmpty)
    }

    @Test("compaction falls due after the first 65 536 changes and then when the logs double what it kept")
    func compactionIsAmortised() {
        let index = TaskStateIndex()
        let (table, records) = table(40_000, index: index)
        #expect(!index.needsCompaction)
        for record in records {
            record.state = .running
        }
        #expect(index.needsCompaction)
        index.compact(against: table)
        #expect(index.count == 40_000)
        for record in records.prefix(39_999) {
            record.state = .succeeded
        }
        #expect(!index.needsCompaction)
        records[39_999].state = .succeeded
        #expect(index.needsCompaction)
        index.compact(against: table)
        #expect(index.count == 40_000)
        #expect(index.newest(in: .succeeded).first?.rawValue == 40_000)
    }
}
