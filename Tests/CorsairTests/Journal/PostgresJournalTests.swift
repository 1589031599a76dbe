import CorsairTestSupport
import Foundation
import NIOPosix
import PostgresNIO
import Testing

@testable import Corsair

/// The PostgreSQL journal against the server `Tests/run.sh` starts: its lock, its log, and how it refuses what it
/// cannot use.
@Suite(.enabled(if: TestPostgres.enabled)) struct PostgresJournalTests {
    let address: PostgresAddress

    init() throws {
        address = try PostgresAddress(parsing: try TestPostgres.journal("unit"))
    }

    /// Runs each of `statements` on the test server, through a session of its own.
    private func run(_ statements: String...) throws {
        let session = try PostgresSession.connect(
            to: address, on: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(10), name: "corsair-test")
        defer { session.close() }
        for statement in statements {
            try session.run(PostgresQuery(unsafeSQL: statement))
        }
    }

    @Test("a commit is one row of the log; a fold moves whole rows into tasks and deletes them; reads fold the rest")
    func logAndFold() throws {
        let journal = try PostgresJournal(address: address)
        defer { journal.close() }
        try journal.commit(EncodedRecords([.sample(1), .sample(2)]), lastKey: 2)
        try journal.commit(EncodedRecords([.sample(3), .sampleFinished(1)]), lastKey: 3)
        #expect(journal.backlog == 4)
        #expect(try journal.fold(limit: 1) == 2)
        #expect(journal.backlog == 2)
        #expect(
            try journal.reads.run("SELECT count(*) FROM \(unescaped: journal.schema).log").first?.decode(Int64.self)
                == 1)
        #expect(try journal.snapshot(retainFinished: 10).tasks.map(\.state) == [.succeeded, .queued, .queued])
        #expect(journal.backlog == 0)
    }

    @Test("commits a SIGKILL left unfolded are read back by the next broker, once the dead one's session is gone")
    func crashKeepsUnfoldedCommits() throws {
        let first = try PostgresJournal(address: address)
        defer { first.close() }
        try first.commit(EncodedRecords([.sample(1), .sample(2), .sampleFinished(2)]), lastKey: 2)
        #expect(first.backlog == 3)
        // The server ends the session as it would a dead broker's: its lock goes, nothing is folded.
        try run(
            """
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND objid = hashtext('corsair journal \(address.schema)')::oid
            """)
        let second = try PostgresJournal(address: address)
        defer { second.close() }
        #expect(second.backlog == 3)
        let snapshot = try second.snapshot(retainFinished: 10)
        #expect(snapshot.lastKey == 2)
        #expect(snapshot.tasks.map(\.state) == [.queued, .succeeded])
    }

    @Test("a second broker on the same journal is refused with exit 73, naming the holder; another schema opens")
    func secondOpener() throws {
        let journal = try PostgresJournal(address: address)
        defer { journal.close() }
        let error = #expect(throws: JournalError.self) { try PostgresJournal(address: address) }
        #expect(error?.exitCode == 73)
        #expect(error?.message.contains("in use by another broker (127.0.0.1, PostgreSQL backend") == true)
        var other = address
        other.schema += "_other"
        try PostgresJournal(address: other).close()
    }

    @Test("a closed journal is wholly folded, and reopened it keeps its newest key")
    func closeFolds() throws {
        let journal = try PostgresJournal(address: address)
        try journal.commit(EncodedRecords([.sample(1), .sample(7)]), lastKey: 9)
        journal.close()
        let reopened = try PostgresJournal(address: address)
        defer { reopened.close() }
        #expect(reopened.backlog == 0)
        #expect(try reopened.snapshot(retainFinished: 0).lastKey == 9)
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
