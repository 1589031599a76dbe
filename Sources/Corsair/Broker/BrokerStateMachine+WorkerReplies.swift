/// Worker replies: PARTIAL, FINAL and RESULTS free their credit and settle the attempt they answer.
extension BrokerStateMachine {
    /// Forwards a PARTIAL of a current attempt to its plain MDP/0.2 client; a batch task has no use for one, and an
    /// MDP/0.1 client, whose protocol has one reply per request, gets only the FINAL.
    mutating func partialReceived(envelope: [UInt8], body: [[UInt8]], from worker: WorkerRecord) {
        guard let task = currentAttempt(AssignmentToken(decoding: envelope), envelope: envelope, worker: worker) else {
            return
        }
        if case .mdp(let client, let framing, let dialect) = task.origin, dialect != .mdp01 {
            actions.append(
                .send(.reply(framing, dialect, final: false, category: task.category, body: body), to: client))
        }
    }

    /// Applies a FINAL: frees its credit and, for the current attempt, ends the task or the attempt.
    mutating func finalReceived(
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
    mutating func resultsReceived(
        _ results: [WorkerResult],
        from worker: WorkerRecord,
        at now: ContinuousClock.Instant
    ) {
        guard worker.batching else {
            emit(.unexpectedMessage(peer: worker.peer, what: "RESULTS from a worker that did not agree on batches"))
            actions.append(.send(.disconnect(worker.framing, version: worker.mdpVersion), to: worker.peer))
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
    private mutating func settle(
        _ token: AssignmentToken?,
        envelope: [UInt8]?,
        from worker: WorkerRecord
    ) -> TaskRecord? {
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
    func runningAttempt(_ token: AssignmentToken, on worker: WorkerRecord) -> TaskRecord? {
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
        case .failed, .cancelled:
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
}
