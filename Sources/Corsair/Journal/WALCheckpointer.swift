import Dispatch
import Foundation
import GRDB
import Synchronization

/// Copies the journal's write-ahead log back into its database file on a thread of its own, `journal-ckpt`, so
/// that the commits of the ``JournalWriter`` seldom wait for it.
///
/// Left to SQLite, the connection whose commit takes the WAL past `wal_autocheckpoint` pages copies it back at once:
/// 40 MB written and synced to the database file inside one commit, during which no acknowledgement or result leaves
/// the broker (p99.9 latency of 80 ms in `corsair-bench --journal normal` with folding held off, 7.6 ms with
/// checkpoints off). Here a passive checkpoint runs every ``intervalMilliseconds`` instead, on a connection of its
/// own: it copies what the WAL holds beside the commits, without the write lock. The WAL starts over from its
/// beginning only once a checkpoint has copied all of it and no commit has landed meanwhile, which a broker under
/// steady load seldom allows, so the writer's own automatic checkpoint stays as the backstop: it then finds the
/// frames copied already and is left with little more than the sync.
///
/// **Who owns what.** The thread opens its connection, runs every checkpoint on it and closes it; nothing else touches
/// that connection, and the thread never touches the journal's own. ``stop()`` may be called from any thread.
final class WALCheckpointer: Sendable {
    /// How often it checkpoints, in milliseconds.
    static let intervalMilliseconds = 50

    private let path: String
    private let stopping = Mutex(false)
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Starts checkpointing the journal at `path`.
    init(path: String) {
        self.path = path
        Thread.startNamed("journal-ckpt") { [self] in
            run()
            exited.signal()
        }
    }

    /// Stops the thread and waits for it; later calls return at once.
    func stop() {
        let first = stopping.withLock { stopping in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        wake.signal()
        exited.wait()
    }

    private func run() {
        var configuration = Configuration()
        configuration.busyMode = .timeout(2)
        configuration.label = "corsair.journal-checkpoint"
        guard let connection = try? DatabaseQueue(path: path, configuration: configuration) else { return }
        defer { try? connection.close() }
        while !stopping.withLock({ $0 }) {
            // A failure (the disk full while copying) leaves the WAL as it was; the next round tries again.
            _ = try? connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            _ = wake.wait(timeout: .now() + .milliseconds(Self.intervalMilliseconds))
        }
    }
}
