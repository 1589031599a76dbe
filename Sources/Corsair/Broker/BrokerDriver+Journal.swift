import DequeModule
import Foundation
import Logging

/// A durable broker's journal as its driver uses it: the records of the current pass, the passes handed to the
/// ``JournalWriter`` and not yet committed, and the acknowledgements, results and HTTP receipts that wait for them. A
/// class: the driver's paths that add to it (sends that fail and drop a worker) may run while it is being emptied.
///
/// Each pass of the loop with records is numbered and handed to the writer whole, or, when small (or a commit is
/// cheap, ``Journal/commitsInline``) and the writer is idle, committed on the loop's thread
/// (``JournalWriter/commitNow(_:lastKey:pass:)``). Its client-bound replies wait in
/// ``held`` under that number (replies of a pass without records wait under the newest number handed over, since
/// they may answer for records still in flight, a duplicate's acknowledgement for one), and leave in order when the
/// writer reports the number committed. Worker-bound sends never wait.
final class JournalState {
    /// The replies of one pass, waiting for its commit.
    struct HeldPass {
        var number: UInt64
        var sends: [(BrokerOutbound, PeerID)]
        var receipts: [() -> Void]
    }

    /// The most records of a pass the loop commits itself while the writer is idle (a few clients with a task or two
    /// in flight each); larger passes go to the writer, so that the loop goes on serving while they are written.
    static let ownCommitLimit = 64

    let writer: JournalWriter
    var journal: any Journal { writer.journal }
    /// Records emitted since the last hand-over, in order, encoded as they came.
    var pending = EncodedRecords()
    /// Client-bound messages of the current pass that wait for its records.
    var awaitingSends: [(BrokerOutbound, PeerID)] = []
    /// How many results ``awaitingSends`` holds.
    var awaitingResults = 0
    /// HTTP submissions' receipts of the current pass that wait likewise.
    var awaitingReceipts: [() -> Void] = []
    /// Passes handed over and not reported committed, with replies, oldest first.
    var held = Deque<HeldPass>()
    /// The newest pass handed to the writer, and the newest it reported committed.
    var handedPass: UInt64 = 0
    var committedPass: UInt64 = 0
    /// While commits fail (disk full): why.
    var failure: JournalError?
    /// The journal is damaged: the loop must stop.
    var fatal: JournalError?
    /// Whether the current records wait for a later pass's commit, and until when.
    var deferral = CommitDeferral()
    /// Whether the journal's file system is nearly full, and when to look again.
    var lowOnSpace = false
    var nextSpaceCheck = ContinuousClock.now

    init(writer: JournalWriter) {
        self.writer = writer
    }

    /// Results waiting for the current records past which the loop hands them over in the middle of a pass: as many
    /// as leave in one RESULT message (``ClientOutbox/resultLimit``).
    static let streamingResults = ClientOutbox.resultLimit.count

    /// Whether everything handed over is committed.
    var caughtUp: Bool { committedPass == handedPass }

    /// Whether every reply waiting for the current records is an acknowledgement.
    var onlyAcknowledgementsWait: Bool {
        awaitingReceipts.isEmpty
            && awaitingSends.allSatisfy { send in
                if case .batch(_, .accepted) = send.0 { true } else { false }
            }
    }
}

extension BrokerOutbound {
    /// Whether a durable broker holds this message until the records before it are committed: acknowledgements
    /// (ACCEPTED means journaled) and results (a result is reported only once it cannot be lost).
    var waitsForJournal: Bool {
        switch self {
        case .batch(_, .accepted), .batch(_, .results), .batch(_, .stream): true
        default: false
        }
    }
}

extension BrokerDriver {
    /// Hands the pass's records to the journal writer and holds the pass's client-bound replies until the writer
    /// reports them committed (``journalReported(_:)``); replies of a pass with nothing in flight go at once. A few
    /// records that only acknowledgements wait for are left for a later pass's commit (``CommitDeferral``), unless
    /// `deferring` is false.
    ///
    /// - Throws: ``JournalError`` once the writer has found the journal damaged: the broker must stop.
    mutating func handOverJournal(at now: ContinuousClock.Instant, deferring: Bool = true) throws(JournalError) {
        guard let state = journal else { return }
        if let fatal = state.fatal { throw fatal }
        checkSpace(state, at: now)
        if !state.pending.isEmpty {
            if deferring, state.failure == nil,
                state.deferral.defers(
                    records: state.pending.count, onlyAcknowledgements: state.onlyAcknowledgementsWait, at: now)
            {
                return
            }
            state.deferral = CommitDeferral()
            state.handedPass += 1
            let pass = state.handedPass
            if state.pending.count <= JournalState.ownCommitLimit || state.journal.commitsInline,
                state.writer.commitNow(state.pending, lastKey: machine.lastKey, pass: pass)
            {
                journalReported(.committed(through: pass))
            } else {
                state.writer.commit(state.pending, lastKey: machine.lastKey, pass: pass)
            }
            // Room for as much as this pass held: a pass's buffer grown by doubling is copied and faulted in anew.
            state.pending = EncodedRecords(reservingCapacity: state.pending.bytes.count)
        }
        guard !state.awaitingSends.isEmpty || !state.awaitingReceipts.isEmpty else { return }
        let sends = state.awaitingSends
        let receipts = state.awaitingReceipts
        state.awaitingSends = []
        state.awaitingResults = 0
        state.awaitingReceipts = []
        if state.caughtUp {
            release(sends, receipts)
        } else {
            state.held.append(.init(number: state.handedPass, sends: sends, receipts: receipts))
        }
    }

    /// Between the messages of a pass: hands the records over once a RESULT message's worth of results waits for
    /// them, and releases the replies of passes the writer has committed since, so that results flow to clients while
    /// a long pass goes on, as an in-memory broker's do (``ClientOutbox/resultLimit``), instead of all at its end.
    ///
    /// Under `corsair-bench --journal normal` (W=1000) a pass's results waited for its end and then for its commit:
    /// client, broker and workers took turns, and the journal side ran at 0.6–0.7× the in-memory one.
    mutating func streamJournal() {
        guard let state = journal, state.fatal == nil else { return }
        if state.awaitingResults >= JournalState.streamingResults {
            // A damaged journal is thrown by the pass's own hand-over, at its end.
            try? handOverJournal(at: .now, deferring: false)
        }
        guard !state.held.isEmpty else { return }
        let committed = state.writer.committedPass
        if committed > state.committedPass {
            journalReported(.committed(through: committed))
        }
    }

    /// Takes in what the writer reports: releases the replies of committed passes, in order, and refuses new
    /// submissions with `journal_full` while commits fail (accepted work goes on; the writer retries each second),
    /// taking them again after the first commit that succeeds.
    mutating func journalReported(_ report: JournalWriter.Report) {
        guard let state = journal else { return }
        switch report {
        case .committed(let through):
            state.committedPass = max(state.committedPass, through)
            while let first = state.held.first, first.number <= state.committedPass {
                state.held.removeFirst()
                release(first.sends, first.receipts)
            }
            guard state.failure != nil, state.caughtUp else { return }
            state.failure = nil
            logger.notice("journal writable again", metadata: ["journal": "\(state.journal.location)"])
            if !state.lowOnSpace {
                machine.refuseSubmissions(nil)
            }
        case .failed(let error):
            if state.failure == nil {
                logger.error("journal write failed; refusing new submissions", metadata: ["error": "\(error)"])
                machine.refuseSubmissions("journal_full")
            }
            state.failure = error
        case .fatal(let error):
            state.fatal = error
        }
    }

    /// Hands over the last records and waits until the writer has committed them (or failed to), then sends what
    /// waited; the loop is stopping.
    mutating func finishJournal() {
        guard let state = journal else { return }
        try? handOverJournal(at: .now, deferring: false)
        journalReported(state.writer.drain())
        journalReported(state.writer.finish())
    }

    /// Hands over the current pass and waits for the writer to commit everything, so that a read of the journal
    /// sees every record the machine has emitted; returns whether it did (not while commits fail).
    mutating func catchUpJournal() -> Bool {
        guard let state = journal else { return true }
        try? handOverJournal(at: .now, deferring: false)
        if !state.caughtUp {
            journalReported(state.writer.drain())
        }
        return state.caughtUp && state.pending.isEmpty && state.awaitingSends.isEmpty
    }

    private mutating func release(_ sends: [(BrokerOutbound, PeerID)], _ receipts: [() -> Void]) {
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
