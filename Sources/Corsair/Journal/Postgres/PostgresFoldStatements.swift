import NIOCore
import PostgresNIO

/// The statements a fold sends: many rows each, since every statement is a round trip to the server.
enum PostgresFoldStatements {
    /// Rows per INSERT: 18 parameters each, under PostgreSQL's 65 535 per statement.
    static let insertRows = 2_000
    /// Tasks per UPDATE: 12 parameters each.
    static let updateRows = 2_000

    /// One INSERT of `rows`, tasks accepted in this fold with what later records of the fold did to them.
    static func insert(_ rows: ArraySlice<NewRow>, schema: String) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: rows.count * 18)
        var values: [String] = []
        values.reserveCapacity(rows.count)
        for row in rows {
            let first = bindings.count
            append(row, to: &bindings)
            values.append(placeholders(from: first + 1, count: 18, types: values.isEmpty ? insertTypes : nil))
        }
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO \(schema).tasks(key, batch, id, category, payload, priority, timeout_ms, max_attempts,
                    submitted_ms, not_before_ms, state, attempts, worker, started_ms, last_error, history, output,
                    finished_ms)
                VALUES \(values.joined(separator: ", "))
                """,
            binds: bindings)
    }

    /// One UPDATE of the tasks `changes` name, each with what the fold's records did to it.
    static func update(_ changes: ArraySlice<TaskChange>, schema: String) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: changes.count * 12)
        var values: [String] = []
        values.reserveCapacity(changes.count)
        for change in changes {
            let first = bindings.count
            append(change, to: &bindings)
            values.append(placeholders(from: first + 1, count: 12, types: values.isEmpty ? updateTypes : nil))
        }
        return PostgresQuery(
            unsafeSQL: """
                UPDATE \(schema).tasks t SET state = u.state, attempts = u.attempts,
                    worker = CASE WHEN u.started THEN u.worker ELSE t.worker END,
                    started_ms = CASE WHEN u.started THEN u.started_ms ELSE t.started_ms END,
                    last_error = CASE WHEN u.sets_error THEN u.last_error ELSE t.last_error END,
                    history = CASE WHEN u.history IS NULL THEN t.history WHEN t.history IS NULL THEN u.history
                        ELSE t.history || E'\\n' || u.history END,
                    output = CASE WHEN u.finished THEN u.output ELSE t.output END,
                    finished_ms = CASE WHEN u.finished THEN u.finished_ms ELSE t.finished_ms END,
                    payload = CASE WHEN u.finished THEN NULL ELSE t.payload END
                FROM (VALUES \(values.joined(separator: ", ")))
                    AS u(key, state, attempts, started, worker, started_ms, sets_error, last_error, history, finished,
                        output, finished_ms)
                WHERE t.key = u.key
                """,
            binds: bindings)
    }

    private static let insertTypes = [
        "bigint", "bytea", "text", "text", "bytea", "integer", "bigint", "bigint", "bigint", "bigint", "integer",
        "integer", "text", "bigint", "text", "text", "bytea", "bigint",
    ]

    private static let updateTypes = [
        "bigint", "integer", "integer", "boolean", "text", "bigint", "boolean", "text", "text", "boolean", "bytea",
        "bigint",
    ]

    /// `($first, $first+1, …)`, each cast to its type in the first row, so that a column of NULLs has one.
    private static func placeholders(from first: Int, count: Int, types: [String]?) -> String {
        let items = (0..<count).map { offset in
            "$\(first + offset)" + (types.map { "::" + $0[offset] } ?? "")
        }
        return "(" + items.joined(separator: ", ") + ")"
    }

    private static func append(_ row: NewRow, to bindings: inout PostgresBindings) {
        let task = row.task
        bindings.append(Int64(bitPattern: task.key))
        bindings.append(ByteBuffer(bytes: task.batch))
        bindings.append(task.id)
        bindings.append(task.category)
        bindings.append(row.finished == nil ? ByteBuffer(bytes: task.payload) : nil)
        bindings.append(task.priority)
        bindings.append(task.timeoutMilliseconds.map(Int64.init))
        bindings.append(task.maxAttempts.map(Int64.init))
        bindings.append(Int64(bitPattern: task.submitted))
        bindings.append(task.notBefore.map { Int64(bitPattern: $0) })
        if let finished = row.finished {
            bindings.append(Int32(JournaledTask.State(finishedWith: finished.outcome).rawValue))
            bindings.append(Int32(clamping: finished.attempts))
        } else {
            bindings.append(Int32(row.state))
            bindings.append(Int32(clamping: row.attempts))
        }
        bindings.append(row.worker)
        bindings.append(row.started.map { Int64(bitPattern: $0) })
        bindings.append(row.finished != nil ? row.finished?.lastError : row.lastError)
        bindings.append(row.history.isEmpty ? nil : row.history.joined(separator: "\n"))
        bindings.append(row.finished.map { ByteBuffer(bytes: $0.output) })
        bindings.append(row.finished.map { Int64(bitPattern: $0.finished) })
    }

    private static func append(_ change: TaskChange, to bindings: inout PostgresBindings) {
        bindings.append(Int64(bitPattern: change.key))
        bindings.append(Int32(change.state))
        bindings.append(Int32(clamping: change.attempts))
        bindings.append(change.started != nil)
        bindings.append(change.started?.worker)
        bindings.append(change.started.map { Int64(bitPattern: $0.at) })
        bindings.append(change.setsLastError)
        bindings.append(change.lastError)
        bindings.append(change.history.isEmpty ? nil : change.history.joined(separator: "\n"))
        bindings.append(change.finished != nil)
        bindings.append(change.finished.map { ByteBuffer(bytes: $0.output) })
        bindings.append(change.finished.map { Int64(bitPattern: $0.finished) })
    }
}
