import Dispatch
import Foundation
import GRDB
import Synchronization

/// SQLite's `PRAGMA quick_check` of an existing journal, run on a thread of its own, `journal-check`, so that a
/// restarted broker checks the file while it reads its tasks back instead of before.
///
/// **Who owns what.** The thread opens its own read-only connection to the file, runs the check on it and closes it;
/// nothing else touches that connection, and the thread never touches the journal's own connection
/// (``SQLiteJournal/database``). WAL mode lets it read beside that connection; it sees the file as the last broker
/// left it, since the journal commits nothing before the check has passed. The outcome goes to other threads through a mutex; ``wait()`` may be called from any thread, any
/// number of times.
final class JournalCheck: Sendable {
    private let outcome = Mutex<Result<Void, DatabaseError>?>(nil)
    private let done = DispatchGroup()

    /// Starts checking the journal at `path`.
    init(path: String) {
        done.enter()
        Thread.startNamed("journal-check") { [self] in
            let result = Self.check(path: path)
            outcome.withLock { $0 = result }
            done.leave()
        }
    }

    /// Waits for the check to finish; returns, or throws SQLite's complaint (``SQLiteJournal/journalError(_:path:doing:)``
    /// turns it into what the broker reports).
    func wait() throws(DatabaseError) {
        done.wait()
        if case .failure(let error) = outcome.withLock({ $0 }) {
            throw error
        }
    }

    /// Whether the check has finished and found the file damaged; waits for it to finish.
    var failed: Bool {
        do {
            try wait()
            return false
        } catch {
            return true
        }
    }

    /// Runs the check on a connection of its own: the first three problems SQLite reports, if any, as the
    /// `SQLITE_CORRUPT` error the journal's open threw when it checked the file itself.
    private static func check(path: String) -> Result<Void, DatabaseError> {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(2)
        configuration.label = "corsair.journal-check"
        do {
            let reader = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? reader.close() }
            let check = try reader.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
            guard check == ["ok"] else {
                return .failure(
                    DatabaseError(resultCode: .SQLITE_CORRUPT, message: check.prefix(3).joined(separator: "; ")))
            }
            return .success(())
        } catch let error as DatabaseError {
            return .failure(error)
        } catch {
            return .failure(DatabaseError(resultCode: .SQLITE_ERROR, message: "\(error)"))
        }
    }
}
