import Foundation
import Logging
import Synchronization
import Testing
import ZeroMQ

@testable import Corsair

/// A durable broker's driver over a real ROUTER (inproc) and a journal in memory: a quick task's acceptance waits
/// for its result, and both are committed together.
@Suite struct BrokerDriverDeferralTests {
    private typealias ListJournal = JournalWriterTests.ListJournal

    /// The driver, its journal and its two peers, a batch client and an echo worker; every socket is used by the
    /// test's thread only.
    private struct Rig {
        let context: Context
        let router: Socket
        let client: Socket
        let worker: Socket
        let journal = ListJournal()
        var driver: BrokerDriver

        init(_ endpoint: String) throws {
            context = try Context()
            router = try Socket(context: context, type: .router)
            try SocketSetup.brokerRouter(maxMessageSize: 1 << 20).apply(to: router)
            try router.bind(endpoint)
            client = try Socket(context: context, type: .dealer)
            try client.connect(endpoint)
            worker = try Socket(context: context, type: .dealer)
            try worker.connect(endpoint)
            let start = ContinuousClock.now
            var configuration = BrokerConfiguration()
            configuration.journaled = true
            let machine = BrokerStateMachine(
                configuration: configuration, anchor: WallClockAnchor(instant: start, unixMilliseconds: 1), now: start)
            driver = BrokerDriver(
                machine: machine, router: router, logger: Logger(label: "test"), metrics: nil, access: nil,
                authMetrics: nil)
            // Each pass is waited for (`endPass`), so the writer's reports are not needed.
            let unread: @Sendable (JournalWriter.Report) -> Void = { _ in }
            let writer = JournalWriter(
                journal: journal, resultTTL: .seconds(60), logger: Logger(label: "test"), report: unread)
            writer.start()
            driver.journal = JournalState(writer: writer)
            let offer = WorkerOffer(credit: 1, heartbeatInterval: .seconds(60), name: "w", batching: true)
            try worker.send(try MDPCodec.encodeFromWorker(.ready(category: "echo", offer: offer)))
            while driver.machine.workerCount(category: "echo") == 0 {
                try driver.readRouter()
            }
        }

        func close() {
            _ = driver.journal?.writer.finish()
            client.close()
            worker.close()
            router.close()
        }

        /// Sends a SUBMIT of task `id` and lets the driver read it; the worker is handed the task at once.
        mutating func submit(_ id: String) throws {
            let task = TaskSpec(id: id, category: "echo", payload: Array(id.utf8))
            try client.send(ClientMessage.submit(session: [7], tasks: [task]).encoded)
            try readUntil { $0.machine.state(ofTask: id, session: [7]) == "running" }
        }

        /// Answers the worker's next task and lets the driver read the result.
        mutating func answerTask() throws {
            let assigned = try #require(try nextAssignedTask(at: worker))
            try worker.send(try MDPCodec.encodeFromWorker(.results([answer(assigned, .succeeded, "done")])))
            try readUntil { $0.journal?.onlyAcknowledgementsWait == false }
        }

        private mutating func readUntil(_ done: (BrokerDriver) -> Bool) throws {
            let giveUp = ContinuousClock.now + .seconds(5)
            while !done(driver) {
                guard ContinuousClock.now < giveUp else { throw RigError.timedOut }
                try driver.readRouter()
            }
        }

        /// Ends a pass at `now` as the loop does: hands the journal its records (waiting for the writer, should the
        /// pass go to it), then sends what is due.
        mutating func endPass(at now: ContinuousClock.Instant) throws {
            try driver.handOverJournal(at: now)
            if let state = driver.journal, !state.caughtUp {
                driver.journalReported(state.writer.drain())
            }
            driver.flushOutbox(everything: true)
        }

        /// The replies the client has been sent so far.
        func replies() throws -> [BrokerReply] {
            var replies: [BrokerReply] = []
            while let frames = try client.receive(blocking: false) {
                replies.append(try BrokerReply(decoding: frames))
            }
            return replies
        }

        var commits: [[JournalRecord]] { journal.commits.withLock { $0 } }
    }

    private enum RigError: Error { case timedOut }

    @Test("a quick task is accepted, started and finished in one commit; its acknowledgement leaves with its result")
    func oneCommitForAQuickTask() throws {
        var rig = try Rig("inproc://deferral-quick")
        defer { rig.close() }
        try rig.submit("a")
        let now = ContinuousClock.now
        try rig.endPass(at: now)
        #expect(rig.commits.isEmpty, "the acceptance waits for company")
        let early = try rig.replies()
        #expect(early.isEmpty, "and so does its acknowledgement")

        try rig.answerTask()
        try rig.endPass(at: now + .microseconds(500))
        let commits = rig.commits
        #expect(commits.count == 1)
        let kinds = commits.first?.map(\.kind) ?? []
        #expect(kinds == ["accepted", "attemptStarted", "finished"])
        let replies = try rig.replies()
        let hasResults = replies.contains(where: \.isResults)
        #expect(hasResults)
    }

    @Test("a task that is still running has its acceptance committed and acknowledged once the limit has passed")
    func acknowledgedAfterTheLimit() throws {
        var rig = try Rig("inproc://deferral-slow")
        defer { rig.close() }
        try rig.submit("b")
        let now = ContinuousClock.now
        try rig.endPass(at: now)
        #expect(rig.driver.journal?.deferral.deadline == now + CommitDeferral.limit)
        #expect(rig.commits.isEmpty)
        try rig.endPass(at: now + CommitDeferral.limit)
        #expect(rig.commits.map { $0.map(\.kind) } == [["accepted", "attemptStarted"]])
        let replies = try rig.replies()
        let acknowledged = replies.compactMap(\.acceptedIDs)
        #expect(acknowledged == [["b"]])
    }
}

extension BrokerReply {
    fileprivate var isResults: Bool {
        guard case .results = self else { return false }
        return true
    }

    fileprivate var acceptedIDs: [String]? {
        guard case .accepted(let ids) = self else { return nil }
        return ids
    }
}

extension JournalRecord {
    /// The record's case, for comparing lists of records.
    fileprivate var kind: String {
        switch self {
        case .accepted: "accepted"
        case .attemptStarted: "attemptStarted"
        case .attemptEnded: "attemptEnded"
        case .finished: "finished"
        }
    }
}
