import Foundation
import Logging
import Synchronization
import Testing
import ZeroMQ

@testable import Corsair

/// A durable broker's driver over a real ROUTER (inproc) and a journal in memory, with its two peers, a batch client
/// of session `[7]` and a batching echo worker; every socket is used by the test's thread only.
struct JournalDriverRig {
    typealias ListJournal = JournalWriterTests.ListJournal

    let context: Context
    let router: Socket
    let client: Socket
    let worker: Socket
    let journal = ListJournal()
    var driver: BrokerDriver

    /// Binds `endpoint` and waits until the worker, offering `credit` tasks at a time, has registered.
    init(_ endpoint: String, credit: Int = 1) throws {
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
        var logger = Logger(label: "test")
        logger.logLevel = .error
        driver = BrokerDriver(
            machine: machine, router: router, logger: logger, metrics: nil, access: nil, authMetrics: nil)
        // The tests wait for the writer themselves (`endPass`, `drain`), so its reports are not needed.
        let unread: @Sendable (JournalWriter.Report) -> Void = { _ in }
        let writer = JournalWriter(journal: journal, resultTTL: .seconds(60), logger: logger, report: unread)
        writer.start()
        driver.journal = JournalState(writer: writer)
        let offer = WorkerOffer(credit: credit, heartbeatInterval: .seconds(60), name: "w", batching: true)
        try worker.send(try MDPCodec.encodeFromWorker(.ready(category: "echo", offer: offer)))
        try readUntil { $0.machine.workerCount(category: "echo") > 0 }
    }

    func close() {
        _ = driver.journal?.writer.finish()
        client.close()
        worker.close()
        router.close()
    }

    /// Sends one SUBMIT of `ids` and lets the driver read it, until the worker has been handed every task.
    mutating func submit(_ ids: [String]) throws {
        let tasks = ids.map { TaskSpec(id: $0, category: "echo", payload: Array($0.utf8)) }
        try client.send(ClientMessage.submit(session: [7], tasks: tasks).encoded)
        try readUntil { driver in ids.allSatisfy { driver.machine.state(ofTask: $0, session: [7]) == "running" } }
    }

    /// The next `count` tasks the worker was handed, from as many TASKS messages as they came in.
    func assignedTasks(_ count: Int) throws -> [AssignedTask] {
        var tasks: [AssignedTask] = []
        while tasks.count < count, let assigned = try nextAssignedTasks(at: worker) {
            tasks += assigned
        }
        return tasks
    }

    /// Answers the worker's next task and lets the driver read the result.
    mutating func answerTask() throws {
        let assigned = try #require(try nextAssignedTask(at: worker))
        try worker.send(try MDPCodec.encodeFromWorker(.results([answer(assigned, .succeeded, "done")])))
        try readUntil { $0.journal?.onlyAcknowledgementsWait == false }
    }

    /// Lets the driver read until `done` holds, in passes as the loop makes them.
    mutating func readUntil(_ done: (BrokerDriver) -> Bool) throws {
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

    enum RigError: Error { case timedOut }
}

extension BrokerReply {
    var isResults: Bool {
        guard case .results = self else { return false }
        return true
    }

    var acceptedIDs: [String]? {
        guard case .accepted(let ids) = self else { return nil }
        return ids
    }
}

extension JournalRecord {
    /// The record's case, for comparing lists of records.
    var kind: String {
        switch self {
        case .accepted: "accepted"
        case .attemptStarted: "attemptStarted"
        case .attemptEnded: "attemptEnded"
        case .finished: "finished"
        }
    }
}
