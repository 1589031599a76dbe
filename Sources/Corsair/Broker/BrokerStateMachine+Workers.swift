/// The worker registry: READY, heartbeats, expiry and removal.
extension BrokerStateMachine {
    /// Handles a message from a worker in MDP `version`: READY registers it; anything else needs a registered worker.
    mutating func workerMessage(
        _ message: WorkerMessage,
        framing: Framing,
        version: MDPVersion,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        if case .ready(let category, let offer) = message {
            workerReady(category: category, offer: offer, framing: framing, version: version, from: peer, at: now)
            return
        }
        guard let worker = workers[peer] else {
            if message != .disconnect {
                emit(.unexpectedMessage(peer: peer, what: "\(message.commandName) from a worker that sent no READY"))
                actions.append(.send(.disconnect(framing, version: version), to: peer))
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

    /// Registers a worker for `category` and gives it work; a second READY or an invalid category drops it. An
    /// MDP/0.1 worker is a plain worker with one unit of credit, answered in MDP/0.1.
    private mutating func workerReady(
        category: String,
        offer: WorkerOffer?,
        framing: Framing,
        version: MDPVersion,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        if workers[peer] != nil {
            emit(.unexpectedMessage(peer: peer, what: "a second READY"))
            actions.append(.send(.disconnect(framing, version: version), to: peer))
            removeWorker(peer, reason: .protocolViolation, at: now)
            return
        }
        if let reason = CategoryName.validate(category) {
            emit(.unexpectedMessage(peer: peer, what: "READY for category '\(category)': \(reason)"))
            actions.append(.send(.disconnect(framing, version: version), to: peer))
            return
        }
        let interval = max(configuration.heartbeatInterval, offer?.heartbeatInterval ?? .zero)
        let queue = self.queue(for: category)
        let worker = WorkerRecord(
            peer: peer, queue: queue, framing: framing, name: offer?.name ?? peer.description,
            host: offer?.host, pid: offer?.pid, credit: offer?.credit ?? 1, isExtended: offer != nil,
            batching: offer?.batching ?? false, expiry: interval * configuration.liveness, joinedAt: now)
        worker.mdpVersion = version
        worker.takesCancel = offer?.cancels ?? false
        worker.version = offer?.version
        worker.acceptsShutdown = offer?.acceptsShutdown ?? false
        workers[peer] = worker
        queue.workers.insert(peer)
        emit(
            .workerJoined(
                peer: peer, name: worker.name, category: category, credit: worker.credit,
                protocol: worker.protocolName))
        if worker.isExtended {
            send(
                .heartbeat(
                    framing, acknowledgement: configuration.heartbeatInterval,
                    batchBytes: worker.batching ? configuration.resultBatchBytes : nil,
                    maxMessageBytes: configuration.maxMessageSize),
                to: worker, at: now)
        }
        stopIfShuttingDown(worker, at: now)
        list(worker)
        dispatch(queue, at: now)
    }

    /// Drops workers that went silent, heartbeats those due one, and sets when to check again.
    mutating func checkWorkers(at now: ContinuousClock.Instant) {
        let expired = workers.values.filter { now - $0.lastReceivedAt >= $0.expiry && !isSilentByProtocol($0) }
            .map(\.peer)
        for peer in expired.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            removeWorker(peer, reason: .expired, at: now)
        }
        for worker in workers.values where now - worker.lastSentAt >= configuration.heartbeatInterval {
            sendHeartbeat(to: worker, at: now)
        }
        // Wake when the next worker is due a heartbeat or would expire, so no worker waits more than an interval.
        nextCheck = now + configuration.heartbeatInterval
        for worker in workers.values {
            nextCheck = min(nextCheck, worker.lastSentAt + configuration.heartbeatInterval)
            if !isSilentByProtocol(worker) {
                nextCheck = min(nextCheck, worker.lastReceivedAt + worker.expiry)
            }
        }
    }

    /// Sends `worker` a plain HEARTBEAT in its own MDP version: the regular one, and a probe's.
    mutating func sendHeartbeat(to worker: WorkerRecord, at now: ContinuousClock.Instant) {
        send(.heartbeat(worker.framing, acknowledgement: nil, version: worker.mdpVersion), to: worker, at: now)
    }

    /// Whether `worker` is an MDP/0.1 worker running its current attempt. RFC 7 workers (the Guide's mdwrkapi and its
    /// ports) send nothing while they handle a request, so their silence then is not taken for death: the attempt's
    /// deadline bounds the wait (after it, silence counts again), and a killed worker is found when the next
    /// heartbeat to it cannot be routed (``peerUnreachable(_:at:)``).
    func isSilentByProtocol(_ worker: WorkerRecord) -> Bool {
        worker.mdpVersion == .v01 && worker.inFlight.contains { runningAttempt($0, on: worker) != nil }
    }

    /// Drops worker `peer`: its running attempts end as `worker_lost`, and its category's waiting tasks start their
    /// queue timeout if it was the last worker.
    mutating func removeWorker(_ peer: PeerID, reason: WorkerLeaveReason, at now: ContinuousClock.Instant) {
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
            for entry in queue.waiting.unordered {
                if let task = tasks[entry.key], task.state == .queued {
                    startQueueTimeout(task, at: now)
                }
            }
        }
        dispatch(queue, at: now)
    }

    /// Puts `worker` at the back of its category's available list if it has credit and is not listed yet.
    func list(_ worker: WorkerRecord) {
        guard worker.isConnected, worker.hasCredit, !worker.isListed, !worker.isDraining else { return }
        worker.isListed = true
        worker.queue.available.append(worker)
    }

    /// The queue of `category`, created when first needed.
    mutating func queue(for category: String) -> CategoryQueue {
        if let queue = categories[category] { return queue }
        let queue = CategoryQueue(
            name: category, isOrdered: configuration.orderedCategories.contains(category), stateIndex: stateIndex)
        categories[category] = queue
        return queue
    }
}

extension WorkerMessage {
    /// The message's MDP command, as logs name it.
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
