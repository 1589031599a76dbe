import GRDB

/// Look-ups for de-duplication against what the broker's memory no longer holds.
extension SQLiteJournal: JournaledTaskLookup {
    public func forEachFinishedID(
        batch: [UInt8],
        afterKey: UInt64,
        limit: Int,
        _ body: (_ key: UInt64, _ id: String) -> Void
    ) throws -> Int {
        do {
            return try database.writeWithoutTransaction { db in
                // Commits still in the log are folded first, as for every read.
                try foldAll(db)
                // The batch's rows through `tasks_by_batch`, reading only the key and id.
                let call = try SQLiteCall(
                    db, "SELECT key, id FROM tasks WHERE batch = ? AND key > ? AND state >= 2 ORDER BY key LIMIT ?")
                defer { call.reset() }
                call.bind(1, batch)
                call.bind(2, Int64(bitPattern: afterKey))
                call.bind(3, Int64(limit))
                var count = 0
                while try call.next() {
                    body(UInt64(bitPattern: call.int(0)), call.text(1) ?? "")
                    count += 1
                }
                return count
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "read task ids")
        }
    }

    public func finishedResults(keys: [UInt64]) throws -> [KeyedResult] {
        guard !keys.isEmpty else { return [] }
        let list = keys.map { String(Int64(bitPattern: $0)) }.joined(separator: ",")
        do {
            return try database.writeWithoutTransaction { db in
                try foldAll(db)
                let call = try SQLiteCall(
                    db, "SELECT \(Self.columns) FROM tasks WHERE key IN (\(list)) AND state >= 2 ORDER BY key")
                defer { call.reset() }
                var results: [KeyedResult] = []
                while try call.next() {
                    let task = JournaledTask(reading: call, batch: call.bytes(1) ?? [])
                    results.append(KeyedResult(key: task.accepted.key, result: task.result))
                }
                return results
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "read results")
        }
    }
}
