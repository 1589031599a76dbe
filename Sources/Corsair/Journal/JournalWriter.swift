import DequeModule
import Dispatch
import Foundation
import Logging
import Synchronization

/// Commits a durable broker's journal on a thread of its own, `broker-journal`, so that the broker loop's thread
/// spends no time in SQLite: it hands each pass's records over, encoded (``commit(_:lastKey:pass:)``, a move of the
/// bytes), and goes on serving while they are written.
///
/// **Small passes.** While the writer has nothing queued and is not writing, the loop may commit a small pass itself
/// (``commitNow(_:lastKey:pass:)``): a client with one task in flight waits for a commit a task (its acceptance waits
/// for its result, ``CommitDeferral``), and each hand-over costs two thread wake-ups on top of the commit. Under load
/// passes are large, or the writer busy, and go to it; but a journal whose commit is only a `write`
/// (``Journal/commitsInline``, SQLite with `--journal-sync normal`) has the loop commit every pass itself while the
/// writer has none queued, and the writer only folds.
///
/// **Order.** Passes are numbered by the loop, and queued and committed in that order: each commit takes every pass
/// queued so far, as one transaction (group commit across passes), and reports ``Report/committed(through:)`` with the
/// newest. The loop holds each pass's client-bound replies until a report covers its number, so a reply never leaves
/// before its records, nor before the replies of an earlier pass.
///
/// **Failure.** A commit that fails (disk full, an I/O error) is rolled back whole; its passes stay queued, the writer
/// reports ``Report/failed(_:)`` and tries them again each second, with the passes queued since, until one succeeds.
/// A damaged journal is ``Report/fatal(_:)``, and the writer stops.
///
/// **Later work.** While no pass waits, the writer deletes expired results and folds the journal's backlog
/// (``Journal/fold(limit:)``): only past ``lag`` records while the broker is busy, so a task accepted, run and
/// finished within that many records is folded into one row write, and all of it once the broker has been quiet
/// for ``idleDelay``. Past ``hardLimit`` it folds between commits too, so the backlog stays bounded under any load.
///
/// Folding is most of a durable broker's cost (an SQLite row per task with its indexes): folded as it came, the
/// `corsair-bench --journal normal` burst of 200 000 tasks ran at 0.43× the in-memory broker; left for later, at
/// 0.65×. What bounds the backlog is what a read or a restart pays for it: each folds the whole backlog first (a
/// broker SIGKILLed with 731 400 records unfolded listened again 1.5 s after it started).
final class JournalWriter: Sendable {
    /// What a commit came to.
    enum Report: Sendable {
        /// Every pass up to `through` is committed.
        case committed(through: UInt64)
        /// A commit failed; its passes stay queued and are tried again each second.
        case failed(JournalError)
        /// The journal is damaged; nothing more is written and the broker must stop.
        case fatal(JournalError)
    }

    /// Backlog (records) the writer leaves unfolded while the broker is busy: some 350 000 tasks' worth.
    static let lag = 1_048_576
    /// Backlog past which it folds between commits as well.
    static let hardLimit = 1_572_864
    /// The most records one fold step takes (a few milliseconds), so a pass queued meanwhile waits little.
    static let foldStep = 2_048
    /// Quiet time after which it folds the whole backlog.
    static let idleDelay: Duration = .milliseconds(250)

    private struct Pass {
        var number: UInt64
        var records: EncodedRecords
        var lastKey: UInt64
    }

    private struct State {
        var queue = Deque<Pass>()
        var stopping = false
        /// The writer sleeps on ``wake`` and wants a signal.
        var sleeping = false
        /// The newest pass committed, and the failure since, if any.
        var committed: UInt64 = 0
        /// When the newest commit ended, on either thread: the writer folds the whole backlog once it is quiet.
        var lastCommit = ContinuousClock.now
        var failure: JournalError?
        var fatal: JournalError?
    }

    let journal: any Journal
    private let resultTTL: Duration
    private let logger: Logger
    private let report: @Sendable (Report) -> Void
    private let state = Mutex(State())
    /// Held by whoever writes to the journal: the writer's thread for each commit, fold or expiry, the loop's for a
    /// commit of its own.
    private let turn = Mutex(())
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled after every commit attempt, for ``drain()``.
    private let progress = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Creates a writer for `journal`; nothing runs until ``start()``.
    ///
    /// - Parameter report: called on the writer's thread after each commit attempt (the loop posts it to its
    ///   mailbox).
    init(journal: any Journal, resultTTL: Duration, logger: Logger, report: @escaping @Sendable (Report) -> Void) {
        self.journal = journal
        self.resultTTL = resultTTL
        self.logger = logger
        self.report = report
    }

    /// Starts the writer's thread.
    func start() {
        Thread.startNamed("broker-journal") { [self] in
            var worker = Worker(writer: self)
            worker.run()
            exited.signal()
        }
    }

    /// The newest pass committed so far: what the loop looks at between the messages of a long pass, to release the
    /// replies of passes committed since (``Report/committed(through:)`` tells it the same at its next poll).
    var committedPass: UInt64 { state.withLock { $0.committed } }

    /// Queues pass `number`'s records; numbers must increase. Called by the loop's thread; costs no system call
    /// unless the writer sleeps.
    func commit(_ records: EncodedRecords, lastKey: UInt64, pass number: UInt64) {
        let wakeUp = state.withLock { state in
            state.queue.append(Pass(number: number, records: records, lastKey: lastKey))
            defer { state.sleeping = false }
            return state.sleeping
        }
        if wakeUp {
            wake.signal()
        }
    }

    /// Commits pass `number` on the calling thread (the loop's), if no pass is queued and the writer is not writing;
    /// returns whether it did. When it did not, or the commit failed, nothing is stored and the caller queues the
    /// pass with ``commit(_:lastKey:pass:)`` as usual: the writer then commits it, or reports the failure and retries.
    func commitNow(_ records: EncodedRecords, lastKey: UInt64, pass number: UInt64) -> Bool {
        let committed = turn.withLockIfAvailable { _ in
            let idle = state.withLock { $0.queue.isEmpty && $0.failure == nil && $0.fatal == nil && !$0.stopping }
            guard idle, (try? journal.commit(records, lastKey: lastKey)) != nil else { return false }
            state.withLock { state in
                state.committed = number
                state.lastCommit = .now
            }
            return true
        }
        return committed ?? false
    }

    /// Waits until every queued pass is committed, or a commit of them has failed, and says which.
    func drain() -> Report {
        while true {
            let outcome: Report? = state.withLock { state in
                if let fatal = state.fatal { return .fatal(fatal) }
                if state.queue.isEmpty { return .committed(through: state.committed) }
                return state.failure.map { .failed($0) }
            }
            if let outcome { return outcome }
            _ = progress.wait(timeout: .now() + .milliseconds(50))
        }
    }

    /// Tries once more to commit what is queued, stops the thread and waits for it; returns how that went. Later
    /// calls return at once.
    func finish() -> Report {
        state.withLock { $0.stopping = true }
        wake.signal()
        exited.wait()
        // For the next caller: the thread has exited for good.
        exited.signal()
        return state.withLock { state in
            if let fatal = state.fatal { return .fatal(fatal) }
            if let failure = state.failure, !state.queue.isEmpty { return .failed(failure) }
            return .committed(through: state.committed)
        }
    }

    /// The writer's thread: its timers, and the loop that commits, expires and folds.
    private struct Worker {
        let writer: JournalWriter
        var retryAt: ContinuousClock.Instant?
        var nextExpiry = ContinuousClock.now
        var foldPausedUntil = ContinuousClock.now

        init(writer: JournalWriter) {
            self.writer = writer
        }

        mutating func run() {
            while true {
                let (queue, stopping) = writer.state.withLock { ($0.queue, $0.stopping) }
                let now = ContinuousClock.now
                if !queue.isEmpty, stopping || retryAt.map({ now >= $0 }) ?? true {
                    let healthy = writer.turn.withLock { _ in
                        guard commit(queue) else { return false }
                        if writer.journal.backlog > JournalWriter.hardLimit {
                            fold()
                        }
                        return true
                    }
                    if stopping || !healthy { return }
                    continue
                }
                if stopping { return }
                if queue.isEmpty, retryAt == nil, writer.turn.withLock({ _ in maintain(at: now) }) { continue }
                sleep(until: nextWake(at: now))
            }
        }

        /// Commits the passes `queue` holds; returns `false` when the journal is damaged and the writer must stop.
        private mutating func commit(_ queue: Deque<Pass>) -> Bool {
            guard let newest = queue.last else { return true }
            var records = newest.records
            if queue.count > 1 {
                records = EncodedRecords()
                for pass in queue {
                    records.append(contentsOf: pass.records)
                }
            }
            do {
                try writer.journal.commit(records, lastKey: newest.lastKey)
            } catch let error where error.kind == .corrupt || error.kind == .deposed {
                writer.state.withLock { $0.fatal = error }
                writer.progress.signal()
                writer.report(.fatal(error))
                return false
            } catch {
                retryAt = .now + .seconds(1)
                writer.state.withLock { $0.failure = error }
                writer.progress.signal()
                writer.report(.failed(error))
                return true
            }
            retryAt = nil
            writer.state.withLock { state in
                state.queue.removeFirst(queue.count)
                state.committed = newest.number
                state.lastCommit = .now
                state.failure = nil
            }
            writer.progress.signal()
            writer.report(.committed(through: newest.number))
            return true
        }

        /// Deletes expired results or folds a step of the backlog, if either is due; returns whether it did.
        private mutating func maintain(at now: ContinuousClock.Instant) -> Bool {
            if now >= nextExpiry {
                expire(at: now)
                return true
            }
            let backlog = writer.journal.backlog
            let lastCommit = writer.state.withLock { $0.lastCommit }
            guard now >= foldPausedUntil,
                backlog > JournalWriter.lag
                    || (backlog > 0 && now - lastCommit >= JournalWriter.idleDelay)
            else { return false }
            return fold()
        }

        /// Folds one step of the backlog; returns whether it folded anything.
        @discardableResult
        private mutating func fold() -> Bool {
            do {
                guard try writer.journal.fold(limit: JournalWriter.foldStep) > 0 else {
                    // A backlog that folds nothing would keep the writer spinning: look again later.
                    foldPausedUntil = .now + .seconds(1)
                    return false
                }
                return true
            } catch {
                writer.logger.warning("folding the journal's log failed", metadata: ["error": "\(error)"])
                foldPausedUntil = .now + .seconds(1)
                return false
            }
        }

        /// Deletes results older than the result TTL, a bounded number at a time, once a minute (sooner while more
        /// are due), so a commit never waits long behind it.
        private mutating func expire(at now: ContinuousClock.Instant) {
            let limit = 5_000
            let ttl = UInt64(clamping: writer.resultTTL.wholeMilliseconds)
            let unix = UInt64(Date().timeIntervalSince1970 * 1000)
            do {
                let deleted = try writer.journal.deleteFinished(before: unix > ttl ? unix - ttl : 0, limit: limit)
                nextExpiry = now + (deleted == limit ? .milliseconds(100) : .seconds(60))
                if deleted > 0 {
                    writer.logger.debug("expired results deleted", metadata: ["tasks": "\(deleted)"])
                }
            } catch {
                writer.logger.warning("deleting expired results failed", metadata: ["error": "\(error)"])
                nextExpiry = now + .seconds(60)
            }
        }

        private func nextWake(at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
            var wake = retryAt ?? nextExpiry
            if retryAt == nil, writer.journal.backlog > 0 {
                let lastCommit = writer.state.withLock { $0.lastCommit }
                wake = min(wake, max(lastCommit + JournalWriter.idleDelay, foldPausedUntil))
            }
            return max(wake, now)
        }

        /// Sleeps until `deadline`, a new pass (unless a failed commit waits for its retry) or the stop.
        private func sleep(until deadline: ContinuousClock.Instant) {
            let retrying = retryAt != nil
            let sleeps = writer.state.withLock { state in
                guard !state.stopping, state.queue.isEmpty || retrying else { return false }
                state.sleeping = true
                return true
            }
            guard sleeps else { return }
            let nanoseconds = (deadline - .now).wholeNanoseconds
            _ = writer.wake.wait(timeout: .now() + .nanoseconds(Int(clamping: max(0, nanoseconds))))
            writer.state.withLock { $0.sleeping = false }
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `Int64`.
    fileprivate var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
