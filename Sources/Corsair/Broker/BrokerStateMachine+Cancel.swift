import Foundation

/// Cancel: a task taken back before it finished never runs again. A scheduled or queued task simply ends; a running
/// one ends too, and its worker is told to stop the attempt when it offered `cancel=1` (``AttemptCancel``). The
/// worker keeps the attempt's unit of credit until it answers, as after a timeout, and that answer is refused as
/// late. The task finishes as ``TaskState/cancelled``: its batch client gets a RESULT with ``TaskOutcome/cancelled``,
/// a plain MDP client an error reply.
extension BrokerStateMachine {
    /// Cancels the tasks `request` names, from the broker's own process (the HTTP gateway).
    ///
    /// - Returns: what became of each task named, and the actions the cancels cause (CANCEL to workers, results to
    ///   batch clients).
    public mutating func cancel(
        _ request: CancelRequest,
        at now: ContinuousClock.Instant
    ) -> (answers: [CancelAnswer], actions: [BrokerAction]) {
        let answers = cancelTasks(request, at: now)
        return (answers, takeActions())
    }

    /// Answers a batch client's CANCEL with a REPORT of what became of each task named.
    mutating func cancelRequested(
        _ request: CancelRequest,
        framing: Framing,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        let answers = cancelTasks(request, at: now)
        let json = (try? JSONEncoder().encode(answers)).map(Array.init) ?? Array("[]".utf8)
        actions.insert(.send(.batch(framing, .report(json)), to: peer), at: 0)
    }

    /// Cancels what `request` names and says what became of each task.
    private mutating func cancelTasks(_ request: CancelRequest, at now: ContinuousClock.Instant) -> [CancelAnswer] {
        if request.all {
            guard let name = request.batch, let session = sessions.values.first(where: { $0.name == name }) else {
                return []
            }
            let unfinished = tasks.values.filter { task in
                if case .batch(let owner) = task.origin, owner === session { return !task.state.isFinished }
                return false
            }
            return unfinished.map { cancel($0, at: now) }
        }
        return request.ids.map { id in
            let found = tasks(withID: id, batch: request.batch)
            switch found.count {
            case 0:
                return CancelAnswer(id: id, batch: request.batch, outcome: .notFound)
            case 1:
                return cancel(found[0], at: now)
            default:
                return CancelAnswer(id: id, outcome: .ambiguous, batches: found.compactMap(\.batch).sorted())
            }
        }
    }

    /// The tracked tasks with `id`: in `batch` when given, else in any batch, or the plain MDP request `mdp-N`.
    private func tasks(withID id: String, batch: String?) -> [TaskRecord] {
        let hash = TaskIDIndex.hash(id)
        let candidates = sessions.values.filter { batch == nil || $0.name == batch }
        var found = candidates.compactMap { session in
            session.ids.key(of: id, hash: hash) { tasks[$0]?.id }.flatMap { tasks[$0] }
        }
        if batch == nil, id.hasPrefix("mdp-"), let number = UInt64(id.dropFirst(4)),
            let task = tasks[TaskKey(rawValue: number)], case .mdp = task.origin
        {
            found.append(task)
        }
        return found
    }

    /// Cancels `task` unless it has finished, and says so. A durable broker journals the cancel as the task's
    /// `finished` record with ``TaskOutcome/cancelled`` (``finish(_:outcome:output:at:)``).
    private mutating func cancel(_ task: TaskRecord, at now: ContinuousClock.Instant) -> CancelAnswer {
        let was = task.state
        guard !was.isFinished else {
            return CancelAnswer(id: task.id, batch: task.batch, outcome: .finished, state: was.rawValue)
        }
        if was == .running, let worker = task.worker {
            task.history.append("attempt \(task.attempts) on \(worker.name): cancelled")
            if worker.takesCancel && worker.isConnected {
                let token = AssignmentToken(task: task.key, attempt: task.attempts)
                send(.cancel(worker.framing, envelope: token.encoded), to: worker, at: now)
            }
        }
        let reason = "cancelled while \(was.rawValue)"
        task.lastError = reason
        finish(task.key, outcome: .cancelled, output: CollectionOfOne(Array(reason.utf8)), at: now)
        return CancelAnswer(id: task.id, batch: task.batch, outcome: .cancelled, state: was.rawValue)
    }
}
