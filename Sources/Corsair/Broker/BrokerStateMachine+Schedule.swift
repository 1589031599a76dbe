/// Delayed tasks: a task with a not-before time later than its acceptance is held as ``TaskState/scheduled`` and
/// joins its queue, in its place by priority and key, at the first event at or after that time (``tick(at:)`` is due
/// then, see ``nextDeadline``). Its queue timeout starts only when it joins its queue.
extension BrokerStateMachine {
    /// Adds a new task: held until its not-before time when `schedule` puts that after `now`, else queued at once.
    mutating func admit(_ task: TaskRecord, schedule: TaskSchedule?, at now: ContinuousClock.Instant) {
        guard let notBefore = schedule?.instant(acceptedAt: now, anchor: anchor), notBefore > now else {
            enqueue(task, at: now)
            return
        }
        hold(task, until: notBefore)
    }

    /// Adds a new task as ``TaskState/scheduled`` until `notBefore`.
    mutating func hold(_ task: TaskRecord, until notBefore: ContinuousClock.Instant) {
        tasks.insert(task)
        task.queue.counts[task.state] += 1
        task.state = .scheduled
        scheduledTasks.hold(task, until: notBefore)
    }

    /// Moves every scheduled task whose time has come to its queue, then dispatches the queues they joined.
    mutating func releaseScheduled(at now: ContinuousClock.Instant) {
        var touched: [CategoryQueue] = []
        while let task = scheduledTasks.popDue(at: now, in: tasks) {
            task.state = .queued
            task.queueDeadline = nil
            task.queuedAt = now
            task.queue.waiting.insert(task)
            if task.queue.workers.isEmpty {
                startQueueTimeout(task, at: now)
            }
            if !touched.contains(where: { $0 === task.queue }) {
                touched.append(task.queue)
            }
        }
        for queue in touched.sorted(by: { $0.name < $1.name }) {
            dispatch(queue, at: now)
        }
    }
}
