/// The requeue rule: an attempt that ends without a result (its worker failed it, was lost or handed it back, or its
/// deadline passed) puts the task back in its queue, in its old place among its batch's tasks (ahead of the batch's
/// later ones; its batch's turn comes as any other's), until its attempts run out; then the task fails with the last
/// reason and the history of every attempt.
extension BrokerStateMachine {
    /// Ends every attempt whose deadline has passed. The worker keeps the attempt's unit of credit until it answers,
    /// since it may still be busy with it; its late answer is ignored.
    mutating func expireAttempts(at now: ContinuousClock.Instant) {
        while let token = attemptDeadlines.popExpired(at: now, in: tasks) {
            attemptEnded(token.task, reason: "timeout", at: now)
        }
    }

    /// Ends the current attempt of `key` without a result: requeues the task, or fails it when out of attempts.
    ///
    /// - Parameter counted: `false` for an attempt the worker gave back unrun: it is neither counted nor recorded.
    mutating func attemptEnded(
        _ key: TaskKey,
        reason: String,
        counted: Bool = true,
        at now: ContinuousClock.Instant
    ) {
        guard let task = tasks[key] else { return }
        task.lastError = reason
        let historyLine = counted ? "attempt \(task.attempts) on \(task.workerName ?? "?"): \(reason)" : nil
        if let historyLine {
            task.history.append(historyLine)
        } else {
            task.attempts -= 1
        }
        if task.attempts >= (task.maxAttempts ?? configuration.maxAttempts) {
            giveUp(task, reason: reason, at: now)
            return
        }
        if configuration.journaled, case .batch = task.origin {
            actions.append(
                .journal(
                    .attemptEnded(
                        key: key.rawValue, attempts: task.attempts, reason: reason, historyLine: historyLine)))
        }
        task.state = .queued
        task.queuedAt = now
        let queue = task.queue
        queue.waiting.insert(task)
        emit(.taskRequeued(id: task.id, category: task.category, reason: reason, attempt: task.attempts))
        dispatch(queue, at: now)
    }

    /// Fails `task`, out of attempts, with the last attempt's `reason` and, after more than one, every attempt's.
    private mutating func giveUp(_ task: TaskRecord, reason: String, at now: ContinuousClock.Instant) {
        let attempts = task.attempts == 1 ? "1 attempt" : "\(task.attempts) attempts"
        var message = "\(reason) (after \(attempts))"
        if task.history.count > 1 {
            message += "\n" + task.history.joined(separator: "\n")
        }
        finish(task.key, outcome: .failed, output: [Array(message.utf8)], at: now)
    }
}
