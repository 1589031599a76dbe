import Foundation
import Logging

/// A durable broker's journal as its driver uses it: the records of the current pass, and the acknowledgements,
/// results and HTTP receipts that may leave only once those records are committed. A class: the driver's paths that
/// add to it (sends that fail and drop a worker) may run while it is being emptied.
final class JournalState {
    let journal: any Journal
    /// How long finished tasks stay in the journal.
    let resultTTL: Duration
    /// Records emitted since the last commit, in order.
    var pending: [JournalRecord] = []
    /// Client-bound messages that wait for the commit of the records before them.
    var awaitingSends: [(BrokerOutbound, PeerID)] = []
    /// HTTP submissions' receipts that wait likewise.
    var awaitingReceipts: [() -> Void] = []
    /// While commits fail (disk full): why, and when to try again.
    var failure: JournalError?
    var retryAt = ContinuousClock.now
    /// When expired results are next deleted.
    var nextExpiry = ContinuousClock.now
    /// Whether the journal's file system is nearly full, and when to look again.
    var lowOnSpace = false
    var nextSpaceCheck = ContinuousClock.now

    init(journal: any Journal, resultTTL: Duration) {
        self.journal = journal
        self.resultTTL = resultTTL
    }
}

extension BrokerOutbound {
    /// Whether a durable broker holds this message until the records before it are committed: acknowledgements
    /// (ACCEPTED means journaled) and results (a result is reported only once it cannot be lost).
    var waitsForJournal: Bool {
        switch self {
        case .batch(_, .accepted), .batch(_, .results): true
        default: false
        }
    }
}

extension BrokerDriver {
    /// Commits the pass's records in one transaction, then sends what waited for them (group commit).
    ///
    /// A commit that fails for want of space (or any I/O error) is rolled back whole; its records stay pending and
    /// are tried again each second with those that follow, new submissions are refused with `journal_full` meanwhile,
    /// and work already accepted goes on. The first commit that succeeds takes submissions again.
    ///
    /// - Throws: ``JournalError`` when the journal is found corrupt: the broker must stop.
    mutating func commitJournal(at now: ContinuousClock.Instant) throws(JournalError) {
        guard let state = journal else { return }
        checkSpace(state, at: now)
        if !state.pending.isEmpty {
            if state.failure != nil && now < state.retryAt { return }
            do {
                try state.journal.commit(state.pending, lastKey: machine.lastKey)
            } catch let error where error.kind == .corrupt {
                throw error
            } catch {
                if state.failure == nil {
                    logger.error("journal write failed; refusing new submissions", metadata: ["error": "\(error)"])
                    machine.refuseSubmissions("journal_full")
                }
                state.failure = error
                state.retryAt = now + .seconds(1)
                return
            }
            state.pending.removeAll(keepingCapacity: true)
            if state.failure != nil {
                state.failure = nil
                logger.notice(
                    "journal writable again", metadata: ["journal": "\(state.journal.location)"])
                if !state.lowOnSpace {
                    machine.refuseSubmissions(nil)
                }
            }
        }
        let sends = state.awaitingSends
        let receipts = state.awaitingReceipts
        state.awaitingSends.removeAll(keepingCapacity: true)
        state.awaitingReceipts.removeAll(keepingCapacity: true)
        for (message, peer) in sends {
            send(message, to: peer)
        }
        for receipt in receipts {
            receipt()
        }
    }

    /// Refuses submissions while the journal's file system has less than 5 % of its size or 64 MiB free, whichever is
    /// less (as RabbitMQ's disk alarm blocks publishers): the disk fills before a commit fails, so a client is told
    /// `journal_full` at once instead of waiting for an acknowledgement that cannot be written. Looks every 100 ms.
    private mutating func checkSpace(_ state: JournalState, at now: ContinuousClock.Instant) {
        guard now >= state.nextSpaceCheck, let space = state.journal.freeSpace() else { return }
        state.nextSpaceCheck = now + .milliseconds(100)
        let low = space.available < min(64 << 20, space.total / 20)
        guard low != state.lowOnSpace else { return }
        state.lowOnSpace = low
        if low {
            logger.error(
                "journal disk nearly full; refusing new submissions",
                metadata: ["journal": "\(state.journal.location)", "free.bytes": "\(space.available)"])
            machine.refuseSubmissions("journal_full")
        } else if state.failure == nil {
            logger.notice("journal disk has room again; taking submissions")
            machine.refuseSubmissions(nil)
        }
    }

    /// Deletes results older than the result TTL, a bounded number at a time, once a minute (sooner while more are
    /// due), so the broker loop never stalls long on it.
    mutating func expireResults(at now: ContinuousClock.Instant, unixMilliseconds: UInt64) {
        guard let state = journal, now >= state.nextExpiry, state.failure == nil else { return }
        let limit = 5_000
        let cutoff = unixMilliseconds - UInt64(clamping: state.resultTTL.wholeMilliseconds)
        do {
            let deleted = try state.journal.deleteFinished(before: cutoff, limit: limit)
            state.nextExpiry = now + (deleted == limit ? .milliseconds(100) : .seconds(60))
            if deleted > 0 {
                logger.debug("expired results deleted", metadata: ["tasks": "\(deleted)"])
            }
        } catch {
            logger.warning("deleting expired results failed", metadata: ["error": "\(error)"])
            state.nextExpiry = now + .seconds(60)
        }
    }

    /// The tasks matching `query`: from memory and, for a query by batch or id on a durable broker, from the
    /// journal for what memory no longer holds (finished before a restart, or past `--retain-finished`).
    func tasks(matching query: TaskQuery) -> [TaskStatus] {
        var found = machine.tasks(matching: query)
        guard let state = journal, query.batch != nil || query.id != nil, found.count < query.limit else {
            return found
        }
        var seen = Set(found.map { "\($0.batch ?? "")\u{0}\($0.id)" })
        do {
            for task in try state.journal.tasks(matching: query) where found.count < query.limit {
                if seen.insert("\(task.batch ?? "")\u{0}\(task.id)").inserted {
                    found.append(task)
                }
            }
        } catch {
            logger.warning("reading tasks from the journal failed", metadata: ["error": "\(error)"])
        }
        return found
    }
}
