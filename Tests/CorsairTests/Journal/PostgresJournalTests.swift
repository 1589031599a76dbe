import CorsairTestSupport
import Foundation
import NIOPosix
import PostgresNIO
import Synchronization
import Testing

@testable import Corsair

/// The PostgreSQL journal against the server `Tests/run.sh` starts: its log, its lease and the fencing of a deposed
/// broker, and how it refuses what it cannot use.
@Suite(.enabled(if: TestPostgres.enabled)) struct PostgresJournalTests {
    let address: PostgresAddress

    init() throws {
        address = try PostgresAddress(parsing: try TestPostgres.journal("unit"))
    }

    /// Runs each of `statements` on the test server, through a session of its own.
    private func run(_ statements: String...) throws {
        let session = try PostgresSession(
            to: address, on: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(10), name: "corsair-test")
        defer { session.close() }
        for statement in statements {
            try session.run(PostgresQuery(unsafeSQL: statement))
        }
    }

    /// A journal at the test's address that holds the lease, named `name`.
    private func active(_ name: String = "a", lease: Duration = .seconds(2)) throws -> PostgresJournal {
        let journal = try PostgresJournal(address: address, lease: lease)
        try #require(try journal.acquire(name: name, endpoints: "tcp://\(name):5555") == nil)
        return journal
    }

    @Test("a commit is one row of the log; a fold moves whole rows into tasks and deletes them; reads fold the rest")
    func logAndFold() throws {
        let journal = try active()
        defer { journal.close() }
        try journal.commit(EncodedRecords([.sample(1), .sample(2)]), lastKey: 2)
        try journal.commit(EncodedRecords([.sample(3), .sampleFinished(1)]), lastKey: 3)
        #expect(journal.backlog == 4)
        #expect(try journal.fold(limit: 1) == 2)
        #expect(journal.backlog == 2)
        let left = try journal.reads.run("SELECT count(*) FROM \(unescaped: journal.schema).log")
        #expect(try left.first?.decode(Int64.self) == 1)
        #expect(try journal.snapshot(retainFinished: 10).tasks.map(\.state) == [.succeeded, .queued, .queued])
        #expect(journal.backlog == 0)
    }

    @Test("while one broker holds the lease another is told who does, and writes nothing")
    func standby() throws {
        let first = try active("a")
        defer { first.close() }
        let second = try PostgresJournal(address: address)
        defer { second.close() }
        #expect(
            try second.acquire(name: "b", endpoints: "tcp://b:5555")
                == LeaseHolder(name: "a", endpoints: "tcp://a:5555"))
        let error = #expect(throws: JournalError.self) {
            try second.commit(EncodedRecords([.sample(1)]), lastKey: 1)
        }
        #expect(error?.kind == .deposed && error?.exitCode == 75)
        #expect(throws: JournalError.self) { try second.checkStanding() }
    }

    @Test(
        "a broker whose lease lapsed is deposed by the one that takes over: its commits and folds are refused, and the new one has every commit it made"
    )
    func takeoverFences() throws {
        let first = try active("a")
        defer { first.close() }
        try first.commit(EncodedRecords([.sample(1), .sample(2)]), lastKey: 2)
        try first.commit(EncodedRecords([.sampleFinished(1)]), lastKey: 2)
        // As if the first broker's link had been cut for a lease: its lease lapses while it still counts itself active.
        try run("UPDATE \(address.schema).lease SET expires = now()")
        let second = try active("b")
        defer { second.close() }
        let commit = #expect(throws: JournalError.self) { try first.commit(EncodedRecords([.sample(3)]), lastKey: 3) }
        #expect(commit?.kind == .deposed)
        #expect(commit?.message.contains("another broker took the journal's lease over") == true)
        #expect(throws: JournalError.self) { try first.fold(limit: 100) }
        #expect(throws: JournalError.self) { try first.checkStanding() }
        let snapshot = try second.snapshot(retainFinished: 10)
        #expect(snapshot.tasks.map(\.accepted.key) == [1, 2] && snapshot.lastKey == 2)
        #expect(snapshot.tasks.map(\.state) == [.succeeded, .queued])
    }

    @Test("an active broker that cannot renew its lease stops counting itself active before the lease lapses")
    func unrenewedLeaseLapses() throws {
        let journal = try active(lease: .milliseconds(400))
        defer { journal.close() }
        try journal.checkStanding()
        // Another broker took the lease over: the next renewal finds another epoch.
        try run("UPDATE \(address.schema).lease SET epoch = epoch + 1")
        let deadline = ContinuousClock.now + .seconds(2)
        while (try? journal.checkStanding()) != nil, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let error = #expect(throws: JournalError.self) { try journal.checkStanding() }
        #expect(error?.kind == .deposed)
    }

    @Test("a closed journal is wholly folded and lets its lease go, so a standby takes over at once")
    func closeReleases() throws {
        let journal = try active("a", lease: .seconds(30))
        try journal.commit(EncodedRecords([.sample(1), .sample(7)]), lastKey: 9)
        journal.close()
        let next = try active("b")
        defer { next.close() }
        #expect(next.backlog == 0)
        #expect(try next.snapshot(retainFinished: 0).lastKey == 9)
    }

    @Test("a commit sent again after its answer was lost is folded once, in its place, with what the resend added")
    func commitSentAgain() throws {
        let journal = try active()
        defer { journal.close() }
        let started: JournalRecord = .attemptStarted(key: 1, attempt: 1, worker: "w", started: 2000)
        // The first copy landed, but its answer never came back: the journal does not know of its row.
        let first = EncodedRecords([.sample(1), started])
        try journal.commits.run(
            """
            INSERT INTO \(unescaped: journal.schema).log(count, last_key, records)
            VALUES (2, 1, \(ByteBuffer(bytes: first.bytes)))
            """)
        try journal.commit(EncodedRecords([.sample(1), started, .sampleFinished(1), .sample(2)]), lastKey: 2)
        let tasks = try journal.snapshot(retainFinished: 10).tasks
        #expect(tasks.map(\.accepted.key) == [1, 2])
        #expect(tasks.map(\.state) == [.succeeded, .queued])
        #expect(tasks.first?.attempts == 1 && tasks.first?.output == Array("r1".utf8))
        let left = try journal.reads.run("SELECT count(*) FROM \(unescaped: journal.schema).log")
        #expect(try left.first?.decode(Int64.self) == 0)
    }

    @Test("brokers started together on a new schema create it once, and both open it")
    func createdTogether() throws {
        let opened = Mutex(0)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            do {
                try PostgresJournal(address: address).close()
                opened.withLock { $0 += 1 }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(opened.withLock { $0 } == 3)
    }

    @Test("a server that does not answer is refused with exit 73, saying to check that PostgreSQL runs there")
    func unreachable() throws {
        var closed = address
        closed.port = try ProcessHarness.freePort()
        let error = #expect(throws: JournalError.self) { try PostgresJournal(address: closed) }
        #expect(error?.exitCode == 73)
        #expect(error?.message.contains("is PostgreSQL running there") == true)
    }

    @Test("a missing database or role is refused with exit 73 and the server's own words")
    func missingDatabase() throws {
        var missing = address
        missing.database = "nowhere"
        let error = #expect(throws: JournalError.self) { try PostgresJournal(address: missing) }
        #expect(error?.exitCode == 73)
        #expect(error?.message.contains(#"database "nowhere" does not exist"#) == true)
    }

    @Test("a schema holding other tables, or a journal of a newer version, is refused with exit 74")
    func foreignSchema() throws {
        try run("CREATE SCHEMA \(address.schema)", "CREATE TABLE \(address.schema).orders(id int)")
        let error = #expect(throws: JournalError.self) { try PostgresJournal(address: address) }
        #expect(error?.exitCode == 74)
        #expect(error?.message.contains("is not a Corsair journal") == true)
        try run("DROP TABLE \(address.schema).orders")
        try PostgresJournal(address: address).close()
        try run("UPDATE \(address.schema).meta SET value = '99' WHERE name = 'version'")
        let newer = #expect(throws: JournalError.self) { try PostgresJournal(address: address) }
        #expect(newer?.message.contains("schema version 99, newer than this broker's") == true)
    }
}
