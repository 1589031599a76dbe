import CorsairTestSupport
import Foundation
import Testing

@testable import Corsair

/// A journal backend a contract test runs against.
enum JournalBackend: String, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// SQLite, and PostgreSQL where `Tests/run.sh` started a server for the tests (and always under CI).
    static let available: [JournalBackend] = TestPostgres.enabled ? [.sqlite, .postgres] : [.sqlite]

    var testDescription: String { rawValue }

    /// A new, empty place for a journal of this backend: a file in a new directory, or a schema of its own.
    func place() throws -> Place {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-journal-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return Place(backend: self, location: directory.appendingPathComponent("corsair.journal").path)
        case .postgres:
            return Place(backend: self, location: try TestPostgres.journal("contract"))
        }
    }

    /// Where one test's journal lives; each ``open()`` opens it again.
    struct Place {
        let backend: JournalBackend
        let location: String

        func open() throws -> any Journal {
            guard backend == .postgres else { return try SQLiteJournal(path: location, sync: .normal) }
            let journal = try PostgresJournal(address: try PostgresAddress(parsing: location))
            try #require(try journal.acquire(name: "test", endpoints: "") == nil)
            return journal
        }
    }
}
