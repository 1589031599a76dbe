import DequeModule

/// Dispatch: waiting tasks go to workers with free credit, least recently used worker first. A higher priority goes
/// first; within a priority the category's batches take turns, one task each, and each batch's tasks go in
/// submission order (``WaitingQueue``); an ordered category keeps submission order across batches.
extension BrokerStateMachine {
    /// Adds `task` to the table and its category's queue; in a category without workers its queue timeout starts.
    mutating func enqueue(_ task: TaskRecord, at now: ContinuousClock.Instant) {
        task.queuedAt = now
        tasks.insert(task)
        task.queue.counts[task.state] += 1
        task.queue.waiting.insert(task)
        if task.queue.workers.isEmpty {
            startQueueTimeout(task, at: now)
        }
    }

    /// Hands waiting tasks of `queue` to available workers until one side runs out.
    ///
    /// A worker that takes batches gets everything assigned to it in this pass as TASKS messages, sent after the pass;
    /// any other worker gets a REQUEST per task.
    mutating func dispatch(_ queue: CategoryQueue, at now: ContinuousClock.Instant) {
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
            let (token, timeout) = startAttempt(task, on: worker, at: now)
            if worker.batching {
                if worker.assigned.isEmpty {
                    batching.append(worker)
                }
                assign(task, token: token, timeout: timeout, to: worker, at: now)
            } else {
                let header = worker.isExtended ? TaskHeader(id: task.id, attempt: task.attempts, timeout: timeout) : nil
                send(
                    .request(
                        worker.framing, envelope: token.encoded, header: header, body: task.payload,
                        version: worker.mdpVersion), to: worker, at: now)
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

    /// Starts the next attempt of `task` on `worker` and its deadline; returns the attempt's token and timeout.
    private mutating func startAttempt(
        _ task: TaskRecord,
        on worker: WorkerRecord,
        at now: ContinuousClock.Instant
    ) -> (token: AssignmentToken, timeout: Duration) {
        task.queueDeadline = nil
        task.attempts += 1
        task.state = .running
        task.worker = worker
        task.startedAt = now
        let token = AssignmentToken(task: task.key, attempt: task.attempts)
        worker.inFlight.insert(token)
        if configuration.journaled, case .batch = task.origin {
            actions.append(
                .journal(
                    .attemptStarted(
                        key: task.key.rawValue, attempt: task.attempts, worker: worker.name,
                        started: anchor.unixMilliseconds(at: now))))
        }
        if let own = task.timeout {
            attemptDeadlines.insert(DeadlineEntry(deadline: now + own, token: token))
            return (token, own)
        }
        let timeout = configuration.taskTimeout
        attemptDeadlines.insertDefault(DeadlineEntry(deadline: now + timeout, token: token))
        return (token, timeout)
    }

    /// Adds an attempt to what a batching worker gets from this pass; a full TASKS message leaves at once.
    private mutating func assign(
        _ task: TaskRecord,
        token: AssignmentToken,
        timeout: Duration,
        to worker: WorkerRecord,
        at now: ContinuousClock.Instant
    ) {
        let payload = task.joinedPayload
        worker.assigned.append(AssignedTask(token: token, id: task.id, timeout: timeout, payload: payload))
        worker.assignedBytes += payload.count
        if worker.assigned.count >= TaskBatch.limit.count || worker.assignedBytes >= TaskBatch.limit.bytes {
            sendAssigned(to: worker, at: now)
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
}
