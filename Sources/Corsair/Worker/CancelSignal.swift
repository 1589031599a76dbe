import Synchronization

/// Tells a running task that the broker cancelled it: fired once from the worker's event loop, awaited by the task's
/// watcher in ``WorkerService``.
final class CancelSignal: Sendable {
    private enum State {
        case armed(CheckedContinuation<Bool, Never>?)
        case fired
        /// The watcher stopped waiting (its task ended first).
        case disarmed
    }

    private let state = Mutex(State.armed(nil))

    init() {}

    /// Fires the signal: a watcher waiting, or one that comes later, learns that the task was cancelled.
    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard case .armed(let waiter) = state else { return nil }
            state = .fired
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Waits until the signal fires (`true`) or the waiting task is cancelled (`false`).
    func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool? in
                    switch state {
                    case .armed:
                        state = .armed(continuation)
                        return nil
                    case .fired:
                        return true
                    case .disarmed:
                        return false
                    }
                }
                if let now {
                    continuation.resume(returning: now)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard case .armed(let waiter) = state else { return nil }
                state = .disarmed
                return waiter
            }
            waiter?.resume(returning: false)
        }
    }
}

/// The cancel signals of the tasks a ``WorkerService`` is running, by ticket.
final class CancelSignals: Sendable {
    private let signals = Mutex<[WorkerLoop.Ticket: CancelSignal]>([:])

    init() {}

    /// A new signal for the task `ticket` names.
    func register(_ ticket: WorkerLoop.Ticket) -> CancelSignal {
        let signal = CancelSignal()
        signals.withLock { $0[ticket] = signal }
        return signal
    }

    /// Forgets the signal of a task that ended.
    func remove(_ ticket: WorkerLoop.Ticket) {
        _ = signals.withLock { $0.removeValue(forKey: ticket) }
    }

    /// Fires the signal of the task `ticket` names, if it is still running.
    func fire(_ ticket: WorkerLoop.Ticket) {
        signals.withLock { $0[ticket] }?.fire()
    }
}
