/// Clients: plain MDP requests and MMI, batch sessions (SUBMIT, PING, acceptance), de-duplication of task ids and
/// the per-client limit.
extension BrokerStateMachine {
    /// Queues a plain MDP client's request, or answers it at once when it is for an MMI service. The request is
    /// dispatched when the read pass ends (``readPassEnded(at:)``), with the others read in that pass.
    mutating func clientRequest(_ request: ClientRequest, from peer: PeerID, at now: ContinuousClock.Instant) {
        if request.category.hasPrefix(MDP.mmiPrefix) {
            mmiRequest(request, from: peer)
            return
        }
        let key = nextTaskKey()
        let queue = self.queue(for: request.category)
        let task = TaskRecord(
            key: key, id: "mdp-\(key.rawValue)", queue: queue, priority: 0,
            origin: .mdp(peer, request.framing, request.dialect), timeout: nil, maxAttempts: nil,
            body: .init(frames: request.body))
        countRequest(id: task.id, category: request.category)
        enqueue(task, at: now)
        if !queue.hasRequestsToDispatch {
            queue.hasRequestsToDispatch = true
            requestsToDispatch.append(queue)
        }
    }

    /// Answers an MMI request (RFC 8): `mmi.service` says 200 when the named category has a worker, else 404; any
    /// other `mmi.` service is 501.
    private mutating func mmiRequest(_ request: ClientRequest, from peer: PeerID) {
        let code: String
        if request.category == MDP.mmiService {
            let name = request.body.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
            code = workerCount(category: name) > 0 ? "200" : "404"
        } else {
            code = "501"
        }
        let reply = BrokerOutbound.reply(
            request.framing, request.dialect, final: true, category: request.category, body: [Array(code.utf8)])
        actions.append(.send(reply, to: peer))
    }

    /// Answers a batch client's PING, saying whether the broker knows its session (and with `wantsFlags` whether it
    /// is durable). For a peer attached to the session that means the attachment; otherwise a session some client
    /// submitted to, whose results go to this peer from now on.
    ///
    /// A PING also shows that the client reads again: results withheld from it go out (`+Withhold`). If some of them
    /// were forgotten meanwhile, the answer is PONG 0, so that the client submits again what it lacks.
    mutating func ping(session: [UInt8], wantsFlags: Bool, framing: Framing, from peer: PeerID) {
        let batch = sessions[SessionID(session)]
        var known = false
        var replaying: Attachment?
        if let batch, attachedSessions[peer] === batch {
            known = true
            if let attachment = batch.attachment(of: peer), resume(attachment, of: batch) {
                replaying = attachment
            }
        } else if let batch, batch.client != nil {
            batch.client = ClientSession(peer: peer, framing: framing)
            resumeWithheld(of: batch)
            known = !batch.withheldForgotten
            batch.withheldForgotten = false
        }
        let flags = brokerFlags.union(known ? .sessionKnown : [])
        actions.append(.send(.batch(framing, .pong(sessionKnown: known, flags: wantsFlags ? flags : nil)), to: peer))
        if let batch, let replaying {
            replayPage(replaying, of: batch)
        }
    }

    /// Accepts a batch client's SUBMIT and acknowledges it ahead of any result it causes.
    mutating func submit(
        _ specs: [TaskSpec],
        session: [UInt8],
        framing: Framing,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        let batch = self.session(session)
        // An attached peer follows its results through the attachment; binding it as the client would send them twice.
        if attachedSessions[peer] !== batch {
            batch.client = ClientSession(peer: peer, framing: framing)
            resumeWithheld(of: batch)
        }
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
        // An attached submitter learns after each SUBMIT whether its batch is complete: results alone would not tell
        // it when every task of a SUBMIT was a duplicate of a finished one.
        if attachedSessions[peer] === batch, let attachment = batch.attachment(of: peer) {
            if resume(attachment, of: batch) {
                replayPage(attachment, of: batch)
            } else {
                sendStream([], to: attachment, of: batch, more: false)
            }
        }
    }

    /// Queues the new tasks of `specs` in `session` and dispatches them; ids the session already has are duplicates.
    mutating func accept(
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
            if let refusal = submissionsRefused {
                receipt.rejected.append(TaskRejection(id: spec.id, reason: refusal))
                continue
            }
            if current?.name != spec.category, let reason = Self.problem(withCategory: spec.category) {
                receipt.rejected.append(TaskRejection(id: spec.id, reason: reason))
                continue
            }
            if let reason = Self.problem(with: spec) {
                receipt.rejected.append(TaskRejection(id: spec.id, reason: reason))
                continue
            }
            let hash = TaskIDIndex.hash(spec.id)
            if let limit = configuration.maxQueuedPerClient, batch.unfinished >= limit,
                !isKnown(spec.id, hash: hash, in: batch)
            {
                receipt.rejected.append(TaskRejection(id: spec.id, reason: Self.clientQueueFull(batch, limit: limit)))
                continue
            }
            receipt.accepted.append(spec.id)
            if batch.journaled.state == .read, let stored = journaledDuplicate(spec.id, hash: hash, in: batch) {
                receipt.duplicates += 1
                deliver(stored, key: nil, of: batch)
                continue
            }
            // One probe for a new id, the common case: it claims the next key.
            let key = TaskKey(rawValue: lastKey + 1)
            let known = batch.ids.insert(spec.id, hash: hash, key: key) { tasks[$0]?.id }
            if let known {
                receipt.duplicates += 1
                if let task = tasks[known], task.state.isFinished {
                    deliver(task)
                }
                continue
            }
            lastKey = key.rawValue
            batch.track(key.rawValue)
            if current?.name != spec.category {
                let queue = self.queue(for: spec.category)
                current = queue
                if !touched.contains(where: { $0 === queue }) {
                    touched.append(queue)
                }
            }
            admit(
                TaskRecord(
                    key: key, id: spec.id, queue: current!, priority: spec.priority, origin: .batch(batch),
                    timeout: spec.timeout, maxAttempts: spec.maxAttempts, body: .single(spec.payload)),
                schedule: spec.schedule, at: now)
            if configuration.journaled {
                journalAccepted(spec, key: key, session: batch, at: now)
            }
        }
        if !batch.journaled.confirmed.isEmpty {
            batch.journaled.confirmed.removeAll()
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
    mutating func session(_ bytes: [UInt8]) -> BatchSession {
        if let session = sessions[SessionID(bytes)] { return session }
        let session = BatchSession(bytes: bytes)
        if journalMayHoldMore {
            session.journaled.state = .unread
        }
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

    /// Whether `session` has had a task `id` that the broker still knows, in memory or in its journal: a duplicate,
    /// acknowledged even when the session is at its limit.
    private func isKnown(_ id: String, hash: UInt64, in session: BatchSession) -> Bool {
        session.ids.key(of: id, hash: hash) { tasks[$0]?.id } != nil
            || (session.journaled.state == .read && session.journaled.key(ofHash: hash) != nil)
    }

    /// The reason a new task of `session`, which holds `limit` unfinished tasks, is rejected.
    private static func clientQueueFull(_ session: BatchSession, limit: Int) -> String {
        "\(BatchClient.clientQueueFullReason): batch '\(session.name)' already has \(limit) unfinished "
            + "tasks (--max-queued-per-client \(limit)); try again once some have finished"
    }

    /// The key for a new task.
    private mutating func nextTaskKey() -> TaskKey {
        lastKey += 1
        return TaskKey(rawValue: lastKey)
    }
}

extension BrokerStateMachine {
    /// Emits the journal record of a batch task just accepted as `key` in `session`.
    fileprivate mutating func journalAccepted(
        _ spec: TaskSpec,
        key: TaskKey,
        session: BatchSession,
        at now: ContinuousClock.Instant
    ) {
        // A delayed task keeps its not-before time, so that it comes back scheduled after a restart.
        let notBefore = spec.schedule.map { anchor.unixMilliseconds(at: $0.instant(acceptedAt: now, anchor: anchor)) }
        actions.append(
            .journal(
                .accepted(
                    AcceptedTask(
                        key: key.rawValue, batch: session.bytes, id: spec.id, category: spec.category,
                        payload: spec.payload, priority: spec.priority,
                        timeoutMilliseconds: spec.timeout.map { UInt32(clamping: max(1, $0.wholeMilliseconds)) },
                        maxAttempts: spec.maxAttempts, submitted: anchor.unixMilliseconds(at: now),
                        notBefore: notBefore))))
    }
}
