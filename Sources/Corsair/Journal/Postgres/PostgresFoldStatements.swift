import NIOCore
import PostgresNIO

/// The statements a fold sends: every row of a kind in one statement, each column as one array parameter
/// (`unnest`), since every statement is a round trip and a statement of many `VALUES` rows costs the server as much
/// to parse and bind as to run.
enum PostgresFoldStatements {
    /// One INSERT of `rows`, tasks accepted in this fold with what later records of the fold did to them. A task
    /// already in the table is left as it is: a commit whose answer a broken connection lost is sent again, and may
    /// have landed the first time too.
    static func insert(_ rows: [NewRow], schema: String) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: 18)
        let tasks = rows.map(\.task)
        bindings.append(tasks.map { Int64(bitPattern: $0.key) })
        bindings.append(tasks.map { ByteBuffer(bytes: $0.batch) })
        bindings.append(tasks.map(\.id))
        bindings.append(tasks.map(\.category))
        bindings.append(NullableArray(rows.map { $0.finished == nil ? ByteBuffer(bytes: $0.task.payload) : nil }))
        bindings.append(tasks.map(\.priority))
        bindings.append(NullableArray(tasks.map { $0.timeoutMilliseconds.map(Int64.init) }))
        bindings.append(NullableArray(tasks.map { $0.maxAttempts.map(Int64.init) }))
        bindings.append(tasks.map { Int64(bitPattern: $0.submitted) })
        bindings.append(NullableArray(tasks.map { $0.notBefore.map { Int64(bitPattern: $0) } }))
        bindings.append(
            rows.map { row in
                Int32(row.finished.map { JournaledTask.State(finishedWith: $0.outcome).rawValue } ?? row.state)
            })
        bindings.append(rows.map { Int32(clamping: $0.finished?.attempts ?? $0.attempts) })
        bindings.append(NullableArray(rows.map(\.worker)))
        bindings.append(NullableArray(rows.map { $0.started.map { Int64(bitPattern: $0) } }))
        bindings.append(NullableArray(rows.map { $0.finished != nil ? $0.finished?.lastError : $0.lastError }))
        bindings.append(NullableArray(rows.map { $0.history.isEmpty ? nil : $0.history.joined(separator: "\n") }))
        bindings.append(NullableArray(rows.map { $0.finished.map { ByteBuffer(bytes: $0.output) } }))
        bindings.append(NullableArray(rows.map { $0.finished.map { Int64(bitPattern: $0.finished) } }))
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO \(schema).tasks(key, batch, id, category, payload, priority, timeout_ms, max_attempts,
                    submitted_ms, not_before_ms, state, attempts, worker, started_ms, last_error, history, output,
                    finished_ms)
                SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::bytea[], $6::integer[],
                    $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::integer[], $12::integer[],
                    $13::text[], $14::bigint[], $15::text[], $16::text[], $17::bytea[], $18::bigint[])
                ON CONFLICT (key) DO NOTHING
                """,
            binds: bindings)
    }

    /// One UPDATE of the tasks `changes` name, each with what the fold's records did to it.
    static func update(_ changes: [TaskChange], schema: String) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: 12)
        bindings.append(changes.map { Int64(bitPattern: $0.key) })
        bindings.append(changes.map { Int32($0.state) })
        bindings.append(changes.map { Int32(clamping: $0.attempts) })
        bindings.append(changes.map { $0.started != nil })
        bindings.append(NullableArray(changes.map { $0.started?.worker }))
        bindings.append(NullableArray(changes.map { $0.started.map { Int64(bitPattern: $0.at) } }))
        bindings.append(changes.map(\.setsLastError))
        bindings.append(NullableArray(changes.map(\.lastError)))
        bindings.append(NullableArray(changes.map { $0.history.isEmpty ? nil : $0.history.joined(separator: "\n") }))
        bindings.append(changes.map { $0.finished != nil })
        bindings.append(NullableArray(changes.map { $0.finished.map { ByteBuffer(bytes: $0.output) } }))
        bindings.append(NullableArray(changes.map { $0.finished.map { Int64(bitPattern: $0.finished) } }))
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
                FROM unnest($1::bigint[], $2::integer[], $3::integer[], $4::boolean[], $5::text[], $6::bigint[],
                    $7::boolean[], $8::text[], $9::text[], $10::boolean[], $11::bytea[], $12::bigint[])
                    AS u(key, state, attempts, started, worker, started_ms, sets_error, last_error, history, finished,
                        output, finished_ms)
                WHERE t.key = u.key
                """,
            binds: bindings)
    }
}
