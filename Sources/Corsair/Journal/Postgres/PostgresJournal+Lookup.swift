import NIOCore
import PostgresNIO

/// Look-ups for de-duplication against what the broker's memory no longer holds.
extension PostgresJournal: JournaledTaskLookup {
    public func forEachFinishedID(
        batch: [UInt8],
        afterKey: UInt64,
        limit: Int,
        _ body: (_ key: UInt64, _ id: String) -> Void
    ) throws -> Int {
        do {
            try foldAll()
            let rows = try reads.run(
                """
                SELECT key, id FROM \(unescaped: schema).tasks
                WHERE batch = \(ByteBuffer(bytes: batch)) AND key > \(Int64(bitPattern: afterKey)) AND state >= 2
                ORDER BY key LIMIT \(Int64(limit))
                """)
            for row in rows {
                let (key, id) = try row.decode((Int64, String).self)
                body(UInt64(bitPattern: key), id)
            }
            return rows.count
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "read task ids")
        }
    }

    public func finishedResults(keys: [UInt64]) throws -> [KeyedResult] {
        guard !keys.isEmpty else { return [] }
        do {
            try foldAll()
            return try fetch(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: schema).tasks
                WHERE key = ANY(\(keys.map { Int64(bitPattern: $0) })) AND state >= 2 ORDER BY key
                """
            ).map { KeyedResult(key: $0.accepted.key, result: $0.result) }
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "read results")
        }
    }
}
