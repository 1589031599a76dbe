import DequeModule

/// The broker's whole logic: events in (a message from a peer, the passing of time), actions out.
///
/// It does no I/O, reads no clock and logs nothing: every event takes the current instant, and every effect is a
/// ``BrokerAction`` for its driver, ``BrokerLoop``, to carry out. So each routing, retry and timeout rule can be tested
/// by passing messages and instants in and looking at the actions that come out.
///
/// The rules it keeps, and the file that holds each:
/// - A task's category picks its workers; within a category, higher priority first, then batches take turns, each
///   batch's tasks in submission order; an ordered category keeps submission order across batches (`+Dispatch`).
/// - A batch session holds at most ``BrokerConfiguration/maxQueuedPerClient`` unfinished tasks; further new tasks
///   are rejected with `client_queue_full` (`+Clients`).
/// - Work goes only to workers that sent READY and have free credit, least recently used first (`+Workers`,
///   `+Dispatch`).
/// - A worker that disconnects, goes silent or becomes unreachable is dropped and its tasks are requeued (`+Workers`);
///   when the ROUTER loses a connection every worker is probed at once, so a dead one is found in milliseconds
///   (`+Probes`).
/// - An attempt past its deadline is requeued; the worker's late answer is ignored but frees its credit (`+Requeue`,
///   `+WorkerReplies`).
/// - A task whose category has had no worker for the queue timeout fails with `no_worker` (`+QueueTimeout`).
/// - A delayed task waits, scheduled, until its not-before time (`+Schedule`); a cancelled task never runs again, and
///   its worker is told to stop it (`+Cancel`).
/// - An ordered category has one attempt in flight at a time (`+Dispatch`).
/// - Each attempt counts; after the task's attempts run out it fails with the last reason (`+Requeue`).
/// - A batch task id seen before in the same session is acknowledged, not queued again (`+Clients`).
/// - Finished batch tasks are kept up to the retention limits (a count and bytes) and their results delivered to the
///   session's current peer (`+Results`), at most ``BrokerConfiguration/unreadResultBytes`` between two messages from
///   it; the rest wait until it sends again (`+Withhold`); malformed and oversized messages are counted and answered
///   where possible (`+BadInput`).
///
/// A value holding one broker's state, kept by one thread (the broker loop's, or a test's). Being a value, its own
/// properties are checked for exclusive access when compiled, not at run time on every access as a class's are. The
/// records it holds (tasks, workers, categories, sessions) are classes, updated in place; their types are in
/// `Broker/Storage/`.
public struct BrokerStateMachine {
    /// The configuration the machine was created with.
    public let configuration: BrokerConfiguration
    let anchor: WallClockAnchor
    /// When the broker started, for its uptime.
    let startedAt: ContinuousClock.Instant
    /// Whether every dispatch and every success is reported as a ``BrokerEvent``. A driver that neither logs them
    /// nor feeds metrics turns this off, and the machine then only counts successes in its statistics: at a hundred
    /// thousand tasks a second, building two events per task is a measurable share of the broker's time. Failures,
    /// requeues and everything else are always reported.
    public var reportsEveryTask = true
    var tasks = TaskTable()
    /// The tracked tasks by state, for status queries (``tasks(matching:)``).
    let stateIndex = TaskStateIndex()
    /// Batch sessions: their task ids, for de-duplication, and where their results go.
    var sessions: [SessionID: BatchSession] = [:]
    /// Sessions with results in ``BatchSession/outgoing`` or their attachments' ``Attachment/outgoing``, sent when
    /// the current event's actions are taken.
    var sessionsWithResults: [BatchSession] = []
    /// The session each attached peer follows (`+Attach`).
    var attachedSessions: [PeerID: BatchSession] = [:]
    /// Finished batch tasks still kept, oldest first; see ``BrokerConfiguration/retainFinished``.
    var finishedOrder = Deque<TaskKey>()
    /// The output bytes the tasks in ``finishedOrder`` hold; see ``BrokerConfiguration/retainFinishedBytes``.
    var retainedBytes = 0
    var workers: [PeerID: WorkerRecord] = [:]
    var categories: [String: CategoryQueue] = [:]
    /// Running totals for status reports.
    private(set) var statistics = BrokerStatistics()
    /// Deadlines of running attempts.
    var attemptDeadlines = AttemptDeadlines()
    /// Deadlines of tasks waiting in categories without workers.
    var queueDeadlines = QueueDeadlines()
    /// Delayed tasks, until their not-before time (`+Schedule`).
    var scheduledTasks = ScheduledTasks()
    /// When to heartbeat every worker because the ROUTER lost a connection (`+Probes`).
    var probes = ProbeSchedule()
    /// Whether a restart left finished tasks in the journal that memory does not hold, so that a session the
    /// machine does not know may still have ids there (`+JournalLookup`).
    var journalMayHoldMore = false
    /// The key of the newest task; the next task gets the one after it.
    var lastKey: UInt64 = 0
    /// When ``tick(at:)`` next checks workers' heartbeats and expiry.
    var nextCheck: ContinuousClock.Instant
    /// The current event's actions so far.
    var actions: [BrokerAction] = []
    /// Categories with plain MDP requests queued since the driver last read its socket dry; dispatched by
    /// ``readPassEnded(at:)`` so that requests read together leave together (`+Clients`).
    var requestsToDispatch: [CategoryQueue] = []
    /// Why new submissions are refused now (`journal_full` while the journal cannot be written), or `nil` when they
    /// are taken; set by the driver through ``refuseSubmissions(_:)``.
    private(set) var submissionsRefused: String?
    /// Set by `corsair shutdown` when the broker stops after the workers, or a later-joining worker is told to stop.
    var shutdownPlan: ShutdownPlan?

    /// Creates a broker with no workers and no tasks.
    ///
    /// - Parameters:
    ///   - configuration: heartbeat, liveness, timeout and attempt settings.
    ///   - anchor: how instants map to Unix time, for the times in results.
    ///   - now: the current instant.
    public init(configuration: BrokerConfiguration, anchor: WallClockAnchor, now: ContinuousClock.Instant) {
        self.configuration = configuration
        self.anchor = anchor
        self.startedAt = now
        self.nextCheck = now + configuration.heartbeatInterval
    }

    /// When ``tick(at:)`` next has work to do: the loop must not sleep past this. Requests still waiting for
    /// ``readPassEnded(at:)`` make it the broker's start, so that the loop does not sleep at all.
    public var nextDeadline: ContinuousClock.Instant {
        guard requestsToDispatch.isEmpty else { return startedAt }
        return min(
            nextCheck, attemptDeadlines.earliest ?? nextCheck, queueDeadlines.earliest ?? nextCheck,
            scheduledTasks.earliest ?? nextCheck, probes.due ?? nextCheck)
    }

    // MARK: - Events

    /// Handles one message from `peer` (the ROUTER's routing id stripped).
    public mutating func messageReceived(
        _ frames: [[UInt8]],
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) -> [BrokerAction] {
        do {
            try checkSize(of: frames)
            switch try MDPCodec.decodeAtBroker(frames) {
            case .worker(let message, let framing, let version):
                workerMessage(message, framing: framing, version: version, from: peer, at: now)
            case .client(let request):
                clientRequest(request, from: peer, at: now)
            case .batchClient(.submit(let session, let specs), let framing):
                submitOrLookUp(specs, session: session, framing: framing, from: peer, at: now)
            case .batchClient(.ping(let session, let wantsFlags), let framing):
                ping(session: session, wantsFlags: wantsFlags, framing: framing, from: peer)
            case .batchClient(.attach(let session, let cursor, let options), let framing):
                attachOrLookUp(session: session, after: cursor, options: options, framing: framing, from: peer)
            case .batchClient(.more(let session), _):
                more(session: session, from: peer)
            case .batchClient(.query(let query), let framing):
                answer(query, framing: framing, from: peer, at: now)
            case .batchClient(.cancel(let request), let framing):
                cancelRequested(request, framing: framing, from: peer, at: now)
            case .batchClient(.shutdown(let request), let framing):
                shutdownRequested(request, framing: framing, from: peer, at: now)
            }
        } catch {
            rejectMalformed(frames, error: error, from: peer, at: now)
        }
        return takeActions()
    }

    /// Tells the machine that the driver has read the messages waiting for now: the plain MDP requests read since the
    /// last call are dispatched, so that a batching worker gets those it takes in one TASKS message rather than one
    /// message each. A driver calls it after every read pass, before it sleeps.
    public mutating func readPassEnded(at now: ContinuousClock.Instant) -> [BrokerAction] {
        for queue in requestsToDispatch {
            queue.hasRequestsToDispatch = false
            dispatch(queue, at: now)
        }
        requestsToDispatch.removeAll(keepingCapacity: true)
        return takeActions()
    }

    /// Lets time pass: requeues attempts past their deadline, queues delayed tasks whose time has come, fails tasks
    /// past their queue timeout, probes the workers when a round is due (`+Probes`), heartbeats workers that are due
    /// one and drops those that went silent.
    public mutating func tick(at now: ContinuousClock.Instant) -> [BrokerAction] {
        attemptDeadlines.dropEnded(in: tasks)
        expireAttempts(at: now)
        releaseScheduled(at: now)
        expireWaiting(at: now)
        probeIfDue(at: now)
        if now >= nextCheck {
            checkWorkers(at: now)
        }
        return takeActions()
    }

    /// Accepts tasks from the broker's own process (the HTTP gateway) into `session`, exactly as a batch client's
    /// SUBMIT would be, except that no client is sent results: they stay in the task table until asked for.
    public mutating func submit(
        _ specs: [TaskSpec],
        session: [UInt8],
        at now: ContinuousClock.Instant
    ) -> (receipt: SubmitReceipt, actions: [BrokerAction]) {
        let receipt = accept(specs, session: session, at: now)
        return (receipt, takeActions())
    }

    /// Makes every task of later submissions rejected with `reason` (the driver passes `journal_full` while its
    /// journal cannot be written), or, with `nil`, accepted again. Work already accepted goes on either way.
    public mutating func refuseSubmissions(_ reason: String?) {
        submissionsRefused = reason
    }

    /// Reports that a send to `peer` failed because the ROUTER no longer knows it: a worker is dropped, an attached
    /// client detached.
    public mutating func peerUnreachable(_ peer: PeerID, at now: ContinuousClock.Instant) -> [BrokerAction] {
        if workers[peer] != nil {
            removeWorker(peer, reason: .unreachable, at: now)
        }
        detach(peer)
        return takeActions()
    }

    // MARK: - Queries

    /// How many workers serve `category`.
    public func workerCount(category: String) -> Int { categories[category]?.workers.count ?? 0 }

    /// How many tasks of `category` wait for a worker.
    public func queueDepth(category: String) -> Int {
        categories[category]?.counts.queued ?? 0
    }

    /// The state of the batch task `id` of `session`, as a ``TaskState`` raw value.
    public func state(ofTask id: String, session: [UInt8]) -> String? {
        batchTask(id, session: session)?.state.rawValue
    }

    /// How many attempts the batch task `id` of `session` has had.
    public func attempts(ofTask id: String, session: [UInt8]) -> Int? {
        batchTask(id, session: session)?.attempts
    }

    private func batchTask(_ id: String, session: [UInt8]) -> TaskRecord? {
        let key = sessions[SessionID(session)]?.ids.key(of: id, hash: TaskIDIndex.hash(id)) { tasks[$0]?.id }
        return key.flatMap { tasks[$0] }
    }

    /// How many tasks the broker tracks, finished ones included.
    public var taskCount: Int { tasks.count }

    /// How many attempt deadlines the broker holds, including entries of ended attempts not yet dropped.
    var deadlineCount: Int { attemptDeadlines.count }

    // MARK: - Output

    /// Sends `message` to `worker`, noting when the broker last sent to it.
    mutating func send(_ message: BrokerOutbound, to worker: WorkerRecord, at now: ContinuousClock.Instant) {
        worker.lastSentAt = now
        actions.append(.send(message, to: worker.peer))
    }

    /// Reports `event` to the driver and counts it.
    mutating func emit(_ event: BrokerEvent) {
        statistics.record(event)
        actions.append(.event(event))
    }

    /// Counts a result of `session` withheld from `peer`, a client that is not reading (`+Withhold`); the driver
    /// hears of each only when it reports every task.
    mutating func countWithheld(session: BatchSession, peer: PeerID) {
        if reportsEveryTask {
            emit(.resultWithheld(session: session.name, peer: peer))
        } else {
            statistics.resultsWithheld += 1
        }
    }

    /// Counts a success the driver is not told of (``reportsEveryTask`` is off).
    mutating func countSuccess() {
        statistics.succeeded += 1
    }

    /// Counts a plain MDP request as submitted; the driver hears of it only when it reports every task.
    mutating func countRequest(id: String, category: String) {
        if reportsEveryTask {
            emit(.requestQueued(id: id, category: category))
        } else {
            statistics.submitted += 1
        }
    }

    /// The current event's actions, each session's results last, leaving the machine ready for the next event.
    mutating func takeActions() -> [BrokerAction] {
        for session in sessionsWithResults {
            if let client = session.client, !session.outgoing.isEmpty {
                actions.append(.send(.batch(client.framing, .results(session.outgoing)), to: client.peer))
            }
            session.outgoing.removeAll()
            for attachment in session.attachments where !attachment.outgoing.isEmpty {
                sendStream(attachment.outgoing, to: attachment, of: session, more: false)
                attachment.outgoing.removeAll()
            }
            session.hasResultsToSend = false
        }
        sessionsWithResults.removeAll(keepingCapacity: true)
        if stateIndex.needsCompaction {
            stateIndex.compact(against: tasks)
        }
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }
}

/// A batch client session's bytes as a dictionary key.
typealias SessionID = ByteKey
