import DequeModule
import HeapModule

/// The broker's whole logic: events in (a message from a peer, the passing of time), actions out.
///
/// It does no I/O, reads no clock and logs nothing: every event takes the current instant, and every effect is a
/// ``BrokerAction`` for its driver, ``BrokerLoop``, to carry out. So each routing, retry and timeout rule can be tested
/// by passing messages and instants in and looking at the actions that come out.
///
/// The rules it keeps:
/// - A task's category picks its workers; within a category, higher priority first, then submission order.
/// - Work goes only to workers that sent READY and have free credit, least recently used first.
/// - A worker that disconnects, goes silent or becomes unreachable is dropped and its tasks are requeued.
/// - An attempt past its deadline is requeued; the worker's late answer is ignored but frees its credit.
/// - A task whose category has had no worker for the queue timeout fails with `no_worker`.
/// - An ordered category has one attempt in flight at a time.
/// - Each attempt counts; after the task's attempts run out it fails with the last reason.
/// - A batch task id seen before in the same session is acknowledged, not queued again.
///
/// A value holding one broker's state, kept by one thread (the broker loop's, or a test's). Being a value, its own
/// properties are checked for exclusive access when compiled, not at run time on every access as a class's are.
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
    private(set) var tasks = TaskTable()
    /// Batch sessions: their task ids, for de-duplication, and where their results go.
    private var sessions: [SessionID: BatchSession] = [:]
    /// Sessions with results in ``BatchSession/outgoing``, sent when the current event's actions are taken.
    private var sessionsWithResults: [BatchSession] = []
    /// Finished batch tasks still kept, oldest first; see ``BrokerConfiguration/retainFinished``.
    private var finishedOrder = Deque<TaskKey>()
    private(set) var workers: [PeerID: WorkerRecord] = [:]
    private(set) var categories: [String: CategoryQueue] = [:]
    /// Running totals for status reports.
    private(set) var statistics = BrokerStatistics()
    /// Deadlines of running attempts, earliest first; entries of attempts that ended are skipped when popped.
    /// Attempts under the default timeout are dispatched in deadline order, so theirs queue in a deque at no
    /// log-n cost; tasks with their own timeout use the heap.
    private var defaultDeadlines = Deque<DeadlineEntry>()
    private var deadlines = Heap<DeadlineEntry>()
    /// Deadlines of tasks waiting in categories without workers; entries a task no longer carries are skipped.
    private var queueDeadlines = Heap<QueueDeadline>()
    private var lastKey: UInt64 = 0
    private var nextCheck: ContinuousClock.Instant
    private var actions: [BrokerAction] = []

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

    /// When ``tick(at:)`` next has work to do: the loop must not sleep past this.
    public var nextDeadline: ContinuousClock.Instant {
        min(
            nextCheck, deadlines.min?.deadline ?? nextCheck, defaultDeadlines.first?.deadline ?? nextCheck,
            queueDeadlines.min?.deadline ?? nextCheck)
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
            case .worker(let message, let framing):
                workerMessage(message, framing: framing, from: peer, at: now)
            case .client(let request):
                clientRequest(request, from: peer, at: now)
            case .batchClient(.submit(let session, let specs), let framing):
                submit(specs, session: session, framing: framing, from: peer, at: now)
            case .batchClient(.ping(let session), let framing):
                let known = sessions[SessionID(session)]?.client != nil
                if known {
                    sessions[SessionID(session)]!.client = ClientSession(peer: peer, framing: framing)
                }
                actions.append(.send(.batch(framing, .pong(sessionKnown: known)), to: peer))
            case .batchClient(.query(let query), let framing):
                actions.append(.send(.batch(framing, .report(report(query, at: now))), to: peer))
            }
        } catch {
            rejectMalformed(frames, error: error, from: peer, at: now)
        }
        return takeActions()
    }

    /// Lets time pass: requeues attempts past their deadline, heartbeats workers that are due one and drops those
    /// that went silent.
    public mutating func tick(at now: ContinuousClock.Instant) -> [BrokerAction] {
        dropEndedDeadlines()
        expireAttempts(at: now)
        expireWaiting(at: now)
        guard now >= nextCheck else { return takeActions() }
        let expired = workers.values.filter { now - $0.lastReceivedAt >= $0.expiry }.map(\.peer)
        for peer in expired.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            removeWorker(peer, reason: .expired, at: now)
        }
        for worker in workers.values where now - worker.lastSentAt >= configuration.heartbeatInterval {
            send(.heartbeat(worker.framing, acknowledgement: nil), to: worker, at: now)
        }
        // Wake when the next worker is due a heartbeat or would expire, so no worker waits more than an interval.
        nextCheck = now + configuration.heartbeatInterval
        for worker in workers.values {
            nextCheck = min(nextCheck, worker.lastSentAt + configuration.heartbeatInterval, worker.lastReceivedAt + worker.expiry)
        }
        return takeActions()
    }

    /// Drops the entries of attempts that already ended from the front of the deadline queues. Attempts mostly end in
    /// the order they started, so this keeps the queues about as long as the number of attempts running, instead of
    /// one entry for every attempt started within the last timeout.
    private mutating func dropEndedDeadlines() {
        while let first = defaultDeadlines.first, !isCurrent(first.token) {
            defaultDeadlines.removeFirst()
        }
        while let earliest = deadlines.min, !isCurrent(earliest.token) {
            _ = deadlines.removeMin()
        }
    }

    /// Whether `token` names the attempt its task is running now.
    private func isCurrent(_ token: AssignmentToken) -> Bool {
        guard let task = tasks[token.task] else { return false }
        return task.state == .running && task.attempts == token.attempt
    }

    /// Ends every attempt whose deadline has passed. The worker keeps the attempt's unit of credit until it answers,
    /// since it may still be busy with it; its late answer is ignored.
    private mutating func expireAttempts(at now: ContinuousClock.Instant) {
        while true {
            let entry: DeadlineEntry
            if let first = defaultDeadlines.first, first.deadline <= now,
                deadlines.min.map({ first.deadline <= $0.deadline }) ?? true
            {
                entry = defaultDeadlines.removeFirst()
            } else if let earliest = deadlines.min, earliest.deadline <= now {
                entry = deadlines.removeMin()
            } else {
                return
            }
            guard isCurrent(entry.token) else { continue }
            attemptEnded(entry.token.task, reason: "timeout", at: now)
        }
    }

    /// Fails tasks that waited the queue timeout in a category that still has no worker.
    private mutating func expireWaiting(at now: ContinuousClock.Instant) {
        while let entry = queueDeadlines.min, entry.deadline <= now {
            _ = queueDeadlines.removeMin()
            guard let task = tasks[entry.key], task.state == .queued, task.queueDeadline == entry.deadline else {
                continue
            }
            tasks[entry.key]!.queueDeadline = nil
            guard workerCount(category: task.category) == 0 else { continue }
            let reason = "no_worker: no worker for category '\(task.category)' within \(DurationParser.format(configuration.queueTimeout))"
            tasks[entry.key]!.lastError = reason
            finish(entry.key, outcome: .failed, output: [Array(reason.utf8)], at: now)
        }
    }

    /// Starts the queue timeout of task `key`, which waits in a category without workers.
    private mutating func startQueueTimeout(_ key: TaskKey, at now: ContinuousClock.Instant) {
        let task = tasks[key]!
        task.queueDeadline = now + configuration.queueTimeout
        // The record stores instants to the nanosecond; the heap entry must carry the same value it compares against.
        queueDeadlines.insert(QueueDeadline(deadline: task.queueDeadline!, key: key))
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

    /// Reports that a send to `peer` failed because the ROUTER no longer knows it: a worker is dropped.
    public mutating func peerUnreachable(_ peer: PeerID, at now: ContinuousClock.Instant) -> [BrokerAction] {
        if workers[peer] != nil {
            removeWorker(peer, reason: .unreachable, at: now)
        }
        return takeActions()
    }

    // MARK: - Queries

    /// How many workers serve `category`.
    public func workerCount(category: String) -> Int { categories[category]?.workers.count ?? 0 }

    /// How many tasks of `category` wait for a worker.
    public func queueDepth(category: String) -> Int {
        categories[category]?.counts.queued ?? 0
    }

    /// The state of the batch task `id` of `session`, as a string (`queued`, `running`, `succeeded`, `failed`).
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
    var deadlineCount: Int { defaultDeadlines.count + deadlines.count }

    // MARK: - Workers

    private mutating func workerMessage(
        _ message: WorkerMessage,
        framing: Framing,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        if case .ready(let category, let offer) = message {
            workerReady(category: category, offer: offer, framing: framing, from: peer, at: now)
            return
        }
        guard let worker = workers[peer] else {
            if message != .disconnect {
                emit(.unexpectedMessage(peer: peer, what: "\(message.commandName) from a worker that sent no READY"))
                actions.append(.send(.disconnect(framing), to: peer))
            }
            return
        }
        worker.lastReceivedAt = now
        switch message {
        case .ready:
            break
        case .heartbeat:
            break
        case .disconnect:
            removeWorker(peer, reason: .disconnected, at: now)
        case .partial(let envelope, let body):
            partialReceived(envelope: envelope, body: body, from: worker)
        case .final(let envelope, let body):
            finalReceived(envelope: envelope, body: body, from: worker, at: now)
        case .results(let results):
            resultsReceived(results, from: worker, at: now)
        }
    }

    private mutating func workerReady(
        category: String,
        offer: WorkerOffer?,
        framing: Framing,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        if workers[peer] != nil {
            emit(.unexpectedMessage(peer: peer, what: "a second READY"))
            actions.append(.send(.disconnect(framing), to: peer))
            removeWorker(peer, reason: .protocolViolation, at: now)
            return
        }
        if let reason = CategoryName.validate(category) {
            emit(.unexpectedMessage(peer: peer, what: "READY for category '\(category)': \(reason)"))
            actions.append(.send(.disconnect(framing), to: peer))
            return
        }
        let interval = max(configuration.heartbeatInterval, offer?.heartbeatInterval ?? .zero)
        let queue = self.queue(for: category)
        let worker = WorkerRecord(
            peer: peer, queue: queue, framing: framing, name: offer?.name ?? peer.description,
            host: offer?.host, pid: offer?.pid, credit: offer?.credit ?? 1, isExtended: offer != nil,
            batching: offer?.batching ?? false, expiry: interval * configuration.liveness, joinedAt: now)
        workers[peer] = worker
        queue.workers.insert(peer)
        emit(
            .workerJoined(
                peer: peer, name: worker.name, category: category, credit: worker.credit, extended: worker.isExtended))
        if worker.isExtended {
            send(
                .heartbeat(
                    framing, acknowledgement: configuration.heartbeatInterval,
                    batchBytes: worker.batching ? configuration.resultBatchBytes : nil,
                    maxMessageBytes: configuration.maxMessageSize),
                to: worker, at: now)
        }
        list(worker)
        dispatch(queue, at: now)
    }

    private mutating func partialReceived(envelope: [UInt8], body: [[UInt8]], from worker: WorkerRecord) {
        guard let task = currentAttempt(AssignmentToken(decoding: envelope), envelope: envelope, worker: worker) else {
            return
        }
        if case .mdp(let client, let framing, let dialect) = task.origin {
            actions.append(
                .send(.reply(framing, dialect, final: false, category: task.category, body: body), to: client))
        }
    }

    private mutating func finalReceived(
        envelope: [UInt8],
        body: [[UInt8]],
        from worker: WorkerRecord,
        at now: ContinuousClock.Instant
    ) {
        let token = AssignmentToken(decoding: envelope)
        guard let task = settle(token, envelope: envelope, from: worker) else {
            dispatch(worker.queue, at: now)
            return
        }
        if !worker.isExtended {
            worker.completed += 1
            finish(task.key, outcome: .succeeded, output: body, at: now)
        } else if body.count == 2, body[0].count == 1, let outcome = TaskOutcome(rawValue: body[0][0]) {
            answer(task, outcome: outcome, output: body[1], from: worker, at: now)
        } else {
            let error = ProtocolError(
                frame: nil, of: body.count,
                "extended FINAL body needs a one-byte outcome frame and a result frame, got \(body.count) frames")
            emit(.badMessage(peer: worker.peer, error: error))
            attemptEnded(task.key, reason: "malformed reply from worker: \(error)", at: now)
        }
        dispatch(worker.queue, at: now)
    }

    /// Applies a RESULTS message as one FINAL per entry, then dispatches once for all the credit it freed.
    private mutating func resultsReceived(
        _ results: [WorkerResult],
        from worker: WorkerRecord,
        at now: ContinuousClock.Instant
    ) {
        guard worker.batching else {
            emit(.unexpectedMessage(peer: worker.peer, what: "RESULTS from a worker that did not agree on batches"))
            actions.append(.send(.disconnect(worker.framing), to: worker.peer))
            removeWorker(worker.peer, reason: .protocolViolation, at: now)
            return
        }
        for result in results {
            if let task = settle(result.token, envelope: nil, from: worker) {
                answer(task, outcome: result.outcome, output: result.output, from: worker, at: now)
            }
        }
        dispatch(worker.queue, at: now)
    }

    /// Frees the unit of credit of the attempt `token` names, current or not (a late answer to an attempt the broker
    /// gave up on frees it too; a duplicate frees nothing), and returns the task when that attempt is its current one.
    /// Anything else is reported as a late reply.
    private mutating func settle(_ token: AssignmentToken?, envelope: [UInt8]?, from worker: WorkerRecord) -> TaskRecord? {
        if let token, worker.inFlight.remove(token) != nil {
            worker.queue.held -= 1
            list(worker)
        }
        return currentAttempt(token, envelope: envelope, worker: worker)
    }

    /// The task whose current attempt `token` names, if `worker` holds it; `nil`, reported as a late reply, for
    /// answers to attempts that are over and for envelopes that are not ours.
    private mutating func currentAttempt(
        _ token: AssignmentToken?,
        envelope: [UInt8]?,
        worker: WorkerRecord
    ) -> TaskRecord? {
        guard let token, let task = runningAttempt(token, on: worker) else {
            emit(.lateReply(peer: worker.peer, envelope: (envelope ?? token?.encoded ?? []).hexString))
            return nil
        }
        return task
    }

    /// The task whose running attempt `token` names, if that attempt is on `worker`.
    private func runningAttempt(_ token: AssignmentToken, on worker: WorkerRecord) -> TaskRecord? {
        guard let task = tasks[token.task], task.state == .running, task.worker === worker,
            task.attempts == token.attempt
        else { return nil }
        return task
    }

    /// Applies a Corsair worker's answer to the current attempt of `task`.
    private mutating func answer(
        _ task: TaskRecord,
        outcome: TaskOutcome,
        output: [UInt8],
        from worker: WorkerRecord,
        at now: ContinuousClock.Instant
    ) {
        switch outcome {
        case .succeeded:
            worker.completed += 1
            finish(task.key, outcome: .succeeded, output: CollectionOfOne(output), at: now)
        case .failed:
            worker.failed += 1
            attemptEnded(task.key, reason: String(decoding: output, as: UTF8.self), at: now)
        case .rejected:
            worker.failed += 1
            task.lastError = String(decoding: output, as: UTF8.self)
            finish(task.key, outcome: .failed, output: CollectionOfOne(output), at: now)
        case .handedBack:
            worker.isDraining = true
            attemptEnded(task.key, reason: "handed_back", counted: false, at: now)
        }
    }

    private mutating func removeWorker(_ peer: PeerID, reason: WorkerLeaveReason, at now: ContinuousClock.Instant) {
        guard let worker = workers.removeValue(forKey: peer) else { return }
        worker.isConnected = false
        let queue = worker.queue
        queue.workers.remove(peer)
        queue.held -= worker.inFlight.count
        emit(
            .workerLeft(
                peer: peer, name: worker.name, category: worker.category, reason: reason,
                inFlight: worker.inFlight.count))
        for token in worker.inFlight.sorted(by: { $0.task < $1.task }) where runningAttempt(token, on: worker) != nil {
            attemptEnded(token.task, reason: "worker_lost", at: now)
        }
        if queue.workers.isEmpty {
            for entry in queue.waiting.unordered where tasks[entry.key]?.state == .queued {
                startQueueTimeout(entry.key, at: now)
            }
        }
        dispatch(queue, at: now)
    }

    /// Puts `worker` at the back of its category's available list if it has credit and is not listed yet.
    private func list(_ worker: WorkerRecord) {
        guard worker.isConnected, worker.hasCredit, !worker.isListed, !worker.isDraining else { return }
        worker.isListed = true
        worker.queue.available.append(worker)
    }

    /// The queue of `category`, created when first needed.
    private mutating func queue(for category: String) -> CategoryQueue {
        if let queue = categories[category] { return queue }
        let queue = CategoryQueue(name: category, isOrdered: configuration.orderedCategories.contains(category))
        categories[category] = queue
        return queue
    }

    // MARK: - Clients

    private mutating func clientRequest(_ request: ClientRequest, from peer: PeerID, at now: ContinuousClock.Instant) {
        if request.category.hasPrefix(MDP.mmiPrefix) {
            let code: String
            if request.category == MDP.mmiService {
                let name = request.body.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
                code = workerCount(category: name) > 0 ? "200" : "404"
            } else {
                code = "501"
            }
            actions.append(
                .send(
                    .reply(request.framing, request.dialect, final: true, category: request.category, body: [Array(code.utf8)]),
                    to: peer))
            return
        }
        let key = nextTaskKey()
        let queue = self.queue(for: request.category)
        enqueue(
            TaskRecord(
                key: key, id: "mdp-\(key.rawValue)", queue: queue, priority: 0,
                origin: .mdp(peer, request.framing, request.dialect), timeout: nil, maxAttempts: nil,
                body: .init(frames: request.body)),
            at: now)
        dispatch(queue, at: now)
    }

    private mutating func submit(
        _ specs: [TaskSpec],
        session: [UInt8],
        framing: Framing,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        self.session(session).client = ClientSession(peer: peer, framing: framing)
        let receipt = accept(specs, session: session, at: now)
        // Acknowledge before any result of this submission goes out.
        var acknowledgements: [BrokerAction] = []
        if !receipt.accepted.isEmpty {
            acknowledgements.append(.send(.batch(framing, .accepted(receipt.accepted)), to: peer))
        }
        if !receipt.rejected.isEmpty {
            acknowledgements.append(.send(.batch(framing, .rejected(receipt.rejected)), to: peer))
        }
        actions.insert(contentsOf: acknowledgements, at: 0)
    }

    /// Queues the new tasks of `specs` in `session` and dispatches them; ids the session already has are duplicates.
    private mutating func accept(
        _ specs: [TaskSpec],
        session: [UInt8],
        at now: ContinuousClock.Instant
    ) -> SubmitReceipt {
        var receipt = SubmitReceipt()
        let batch = self.session(session)
        // Tasks of one submission mostly share a category: look its queue up once per run of equal categories.
        var current: CategoryQueue?
        var touched: [CategoryQueue] = []
        for spec in specs {
            if current?.name != spec.category, let reason = Self.problem(withCategory: spec.category) {
                receipt.rejected.append(TaskRejection(id: spec.id, reason: reason))
                continue
            }
            if let reason = Self.problem(with: spec) {
                receipt.rejected.append(TaskRejection(id: spec.id, reason: reason))
                continue
            }
            receipt.accepted.append(spec.id)
            // One probe for a new id, the common case: it claims the next key.
            let key = TaskKey(rawValue: lastKey + 1)
            let known = batch.ids.insert(spec.id, hash: TaskIDIndex.hash(spec.id), key: key) { tasks[$0]?.id }
            if let known {
                receipt.duplicates += 1
                if let task = tasks[known], task.state == .succeeded || task.state == .failed {
                    deliver(task)
                }
                continue
            }
            lastKey = key.rawValue
            if current?.name != spec.category {
                let queue = self.queue(for: spec.category)
                current = queue
                if !touched.contains(where: { $0 === queue }) {
                    touched.append(queue)
                }
            }
            enqueue(
                TaskRecord(
                    key: key, id: spec.id, queue: current!, priority: spec.priority, origin: .batch(batch),
                    timeout: spec.timeout, maxAttempts: spec.maxAttempts, body: .single(spec.payload)),
                at: now)
        }
        emit(
            .tasksAccepted(
                session: batch.name, accepted: receipt.accepted.count - receipt.duplicates,
                duplicates: receipt.duplicates, rejected: receipt.rejected.count))
        if touched.count > 1 {
            touched.sort { $0.name < $1.name }
        }
        for queue in touched {
            dispatch(queue, at: now)
        }
        return receipt
    }

    /// The session with these bytes, created when first needed.
    private mutating func session(_ bytes: [UInt8]) -> BatchSession {
        if let session = sessions[SessionID(bytes)] { return session }
        let session = BatchSession(bytes: bytes)
        sessions[SessionID(bytes)] = session
        return session
    }

    /// Why the broker refuses tasks of `category`, or `nil` when it takes them.
    private static func problem(withCategory category: String) -> String? {
        CategoryName.validate(category).map { "category '\(category)': \($0)" }
    }

    /// Why the broker refuses `spec`, whose category is valid, or `nil` when it takes it.
    private static func problem(with spec: TaskSpec) -> String? {
        if spec.id.utf8.count > TaskSpec.maximumIDLength {
            return "task id is longer than \(TaskSpec.maximumIDLength) bytes"
        }
        if let attempts = spec.maxAttempts, !(1...100).contains(attempts) {
            return "max attempts \(attempts) is outside 1…100"
        }
        return nil
    }

    // MARK: - Tasks

    private mutating func nextTaskKey() -> TaskKey {
        lastKey += 1
        return TaskKey(rawValue: lastKey)
    }

    private mutating func enqueue(_ task: TaskRecord, at now: ContinuousClock.Instant) {
        task.queuedAt = now
        tasks.insert(task)
        task.queue.counts[task.state] += 1
        task.queue.waiting.insert(QueueEntry(priority: task.priority, key: task.key))
        if task.queue.workers.isEmpty {
            startQueueTimeout(task.key, at: now)
        }
    }

    /// Hands waiting tasks of `queue` to available workers until one side runs out.
    ///
    /// A worker that takes batches gets everything assigned to it in this pass as TASKS messages, sent after the pass;
    /// any other worker gets a REQUEST per task.
    private mutating func dispatch(_ queue: CategoryQueue, at now: ContinuousClock.Instant) {
        var batching: [WorkerRecord] = []
        defer {
            for worker in batching where !worker.assigned.isEmpty {
                sendAssigned(to: worker, at: now)
            }
        }
        while let entry = queue.waiting.min {
            guard let task = tasks[entry.key], task.state == .queued else {
                _ = queue.waiting.removeMin()
                continue
            }
            if queue.isOrdered && queue.held > 0 { return }
            guard let worker = nextAvailableWorker(queue) else { return }
            _ = queue.waiting.removeMin()
            queue.held += 1
            task.queueDeadline = nil
            task.attempts += 1
            task.state = .running
            task.worker = worker
            task.startedAt = now
            let token = AssignmentToken(task: entry.key, attempt: task.attempts)
            worker.inFlight.insert(token)
            let timeout: Duration
            if let own = task.timeout {
                timeout = own
                deadlines.insert(DeadlineEntry(deadline: now + own, token: token))
            } else {
                timeout = configuration.taskTimeout
                let entry = DeadlineEntry(deadline: now + timeout, token: token)
                if let last = defaultDeadlines.last, last.deadline > entry.deadline {
                    deadlines.insert(entry)
                } else {
                    defaultDeadlines.append(entry)
                }
            }
            if worker.batching {
                if worker.assigned.isEmpty {
                    batching.append(worker)
                }
                let payload = task.joinedPayload
                worker.assigned.append(AssignedTask(token: token, id: task.id, timeout: timeout, payload: payload))
                worker.assignedBytes += payload.count
                if worker.assigned.count >= TaskBatch.limit.count || worker.assignedBytes >= TaskBatch.limit.bytes {
                    sendAssigned(to: worker, at: now)
                }
            } else {
                let header = worker.isExtended ? TaskHeader(id: task.id, attempt: task.attempts, timeout: timeout) : nil
                send(
                    .request(worker.framing, envelope: token.encoded, header: header, body: task.payload), to: worker,
                    at: now)
            }
            if reportsEveryTask {
                emit(
                    .taskDispatched(
                        id: task.id, category: queue.name, worker: worker.name, attempt: task.attempts,
                        waited: now - (task.queuedAt ?? now)))
            }
            if worker.hasCredit {
                worker.isListed = true
                queue.available.append(worker)
            }
        }
    }

    /// Sends a batching worker the tasks assigned to it so far, as one TASKS message.
    private mutating func sendAssigned(to worker: WorkerRecord, at now: ContinuousClock.Instant) {
        let tasks = worker.assigned
        send(.tasks(worker.framing, tasks), to: worker, at: now)
        // The next pass likely assigns about as many: reserve that room once instead of growing step by step.
        worker.assigned = []
        worker.assigned.reserveCapacity(tasks.count)
        worker.assignedBytes = 0
    }

    /// Pops the least recently used worker of `queue` that is still connected and has credit.
    private func nextAvailableWorker(_ queue: CategoryQueue) -> WorkerRecord? {
        while let worker = queue.available.popFirst() {
            guard worker.isConnected, worker.isListed else { continue }
            worker.isListed = false
            if worker.hasCredit && !worker.isDraining { return worker }
        }
        return nil
    }

    /// Ends the current attempt of `key` without a result: requeues the task, or fails it when out of attempts.
    ///
    /// - Parameter counted: `false` for an attempt the worker gave back unrun: it is neither counted nor recorded.
    private mutating func attemptEnded(
        _ key: TaskKey,
        reason: String,
        counted: Bool = true,
        at now: ContinuousClock.Instant
    ) {
        guard let task = tasks[key] else { return }
        task.lastError = reason
        if counted {
            task.history.append("attempt \(task.attempts) on \(task.workerName ?? "?"): \(reason)")
        } else {
            task.attempts -= 1
        }
        if task.attempts >= (task.maxAttempts ?? configuration.maxAttempts) {
            let attempts = task.attempts == 1 ? "1 attempt" : "\(task.attempts) attempts"
            var message = "\(reason) (after \(attempts))"
            if task.history.count > 1 {
                message += "\n" + task.history.joined(separator: "\n")
            }
            finish(key, outcome: .failed, output: [Array(message.utf8)], at: now)
            return
        }
        task.state = .queued
        task.queuedAt = now
        let queue = task.queue
        queue.waiting.insert(QueueEntry(priority: task.priority, key: key))
        emit(.taskRequeued(id: task.id, category: task.category, reason: reason, attempt: task.attempts))
        dispatch(queue, at: now)
    }

    /// Ends task `key` with `outcome`. `output` is the result's frames, or the failure's text as one frame; a Corsair
    /// worker's single output comes as a `CollectionOfOne`, which costs no array per task.
    private mutating func finish(
        _ key: TaskKey,
        outcome: TaskOutcome,
        output: some Collection<[UInt8]>,
        at now: ContinuousClock.Instant
    ) {
        guard let task = tasks[key] else { return }
        task.state = outcome == .succeeded ? .succeeded : .failed
        task.finishedAt = now
        if outcome == .succeeded && !reportsEveryTask {
            statistics.succeeded += 1
        } else {
            emit(
                .taskFinished(
                    id: task.id, category: task.category, outcome: outcome, attempts: task.attempts,
                    reason: outcome == .failed ? output.first.map { String(decoding: $0, as: UTF8.self) } : nil))
        }
        switch task.origin {
        case .mdp(let client, let framing, let dialect):
            forget(task)
            var body = Array(output)
            if outcome != .succeeded {
                body.insert(Array("corsair.error".utf8), at: 0)
            }
            actions.append(.send(.reply(framing, dialect, final: true, category: task.category, body: body), to: client))
        case .batch:
            task.output = output.count == 1 ? output.first! : output.reduce(into: []) { $0.append(contentsOf: $1) }
            deliver(task)
            retain(key)
        }
    }

    /// Keeps finished task `key`, forgetting the oldest finished tasks beyond the retention limit.
    private mutating func retain(_ key: TaskKey) {
        finishedOrder.append(key)
        while finishedOrder.count > configuration.retainFinished, let oldest = finishedOrder.popFirst() {
            guard let task = tasks[oldest] else { continue }
            if case .batch(let session) = task.origin {
                session.ids.remove(oldest, hash: TaskIDIndex.hash(task.id))
            }
            forget(task)
        }
    }

    /// Stops tracking `task`.
    private mutating func forget(_ task: TaskRecord) {
        task.queue.counts[task.state] -= 1
        tasks.remove(task.key)
    }

    /// Queues a finished batch task's result for its session's current peer; ``takeActions()`` sends a session's
    /// results of one event together.
    private mutating func deliver(_ task: TaskRecord) {
        guard case .batch(let session) = task.origin, session.client != nil else { return }
        let result = TaskResult(
            id: task.id, category: task.category, outcome: task.state == .succeeded ? .succeeded : .failed,
            attempts: task.attempts, worker: task.workerName,
            started: task.startedAt.map { anchor.unixMilliseconds(at: $0) },
            finished: anchor.unixMilliseconds(at: task.finishedAt ?? anchor.instant), output: task.output ?? [])
        if session.outgoing.isEmpty {
            sessionsWithResults.append(session)
        }
        session.outgoing.append(result)
    }

    // MARK: - Bad input

    /// Refuses a message over ``BrokerConfiguration/maxMessageSize``, naming the frame that crossed the limit.
    private func checkSize(of frames: [[UInt8]]) throws(ProtocolError) {
        var total = 0
        for (index, frame) in frames.enumerated() {
            total += frame.count
            if total > configuration.maxMessageSize {
                let size = frames.reduce(0) { $0 + $1.count }
                throw ProtocolError(
                    frame: index, of: frames.count,
                    "message of \(size) bytes is over the \(configuration.maxMessageSize)-byte limit (--max-message-size)")
            }
        }
    }

    private mutating func rejectMalformed(
        _ frames: [[UInt8]],
        error: ProtocolError,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        emit(.badMessage(peer: peer, error: error))
        let framing: Framing = frames.first?.isEmpty == true ? .delimited : .rfc18
        let headerIndex = framing == .delimited ? 1 : 0
        guard headerIndex < frames.count else { return }
        switch frames[headerIndex] {
        case ClientProtocol.header:
            actions.append(.send(.batch(framing, .error(error.description)), to: peer))
        case MDP.workerHeader:
            // RFC 18: an invalid message makes the peer invalid; a registered worker is dropped and told so.
            actions.append(.send(.disconnect(framing), to: peer))
            removeWorker(peer, reason: .protocolViolation, at: now)
        default:
            break
        }
    }

    // MARK: - Output

    private mutating func send(_ message: BrokerOutbound, to worker: WorkerRecord, at now: ContinuousClock.Instant) {
        worker.lastSentAt = now
        actions.append(.send(message, to: worker.peer))
    }

    private mutating func emit(_ event: BrokerEvent) {
        statistics.record(event)
        actions.append(.event(event))
    }

    private mutating func takeActions() -> [BrokerAction] {
        for session in sessionsWithResults {
            if let client = session.client {
                actions.append(.send(.batch(client.framing, .results(session.outgoing)), to: client.peer))
            }
            session.outgoing.removeAll()
        }
        sessionsWithResults.removeAll(keepingCapacity: true)
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }
}

/// A batch client session's bytes as a dictionary key.
typealias SessionID = ByteKey

extension WorkerMessage {
    var commandName: String {
        switch self {
        case .ready: "READY"
        case .partial: "PARTIAL"
        case .final: "FINAL"
        case .heartbeat: "HEARTBEAT"
        case .disconnect: "DISCONNECT"
        case .results: "RESULTS"
        }
    }
}
