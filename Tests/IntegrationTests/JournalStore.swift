import CorsairTestSupport
import Foundation
import Testing

/// Where a durable broker under test keeps its journal: an SQLite file, or a PostgreSQL schema on the server
/// `Tests/run.sh` starts.
enum JournalStore: String, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// SQLite, and PostgreSQL where a server was started for the tests (and always under CI).
    static let available: [JournalStore] = TestPostgres.enabled ? [.sqlite, .postgres] : [.sqlite]

    var testDescription: String { rawValue }

    /// A new journal's `--journal` argument: a file `name` in the harness's directory, or a schema of its own.
    func journal(_ harness: ProcessHarness, _ name: String) throws -> String {
        switch self {
        case .sqlite: harness.path(name + ".journal").path
        case .postgres: try TestPostgres.journal(name)
        }
    }
}
