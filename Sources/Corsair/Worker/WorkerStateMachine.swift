/// One worker connection's logic as a value: register, heartbeat, take tasks, detect a silent broker, reconnect with
/// backoff, drain on shutdown. The worker side of the Paranoid Pirate pattern, speaking MDP/0.2 and, when the broker
/// accepts it, Corsair's extension.
///
/// Like ``BrokerStateMachine`` it does no I/O and reads no clock; ``WorkerLoop`` carries out its actions.
public struct WorkerStateMachine: Sendable {
    /// What the machine asks its driver to do.
    public enum Action: Sendable, Hashable {
        /// Open a new socket to the broker, then call ``connected(at:)``.
        case connect
        /// Send these frames on the current socket.
        case send([[UInt8]])
        /// Close the current socket; a ``connect`` follows after the backoff delay.
        case closeSocket
        /// Run `task`; report its outcome with ``taskFinished(_:result:at:)`` and `ticket`.
        case run(TaskTicket, WorkerTask)
        /// The broker cancelled the task `ticket` names: stop its handler, and report its outcome as usual (the
        /// broker refuses it, but it frees the task's unit of credit).
        case cancel(TaskTicket)
        /// The broker stayed away longer than `giveUpAfter`: close the socket and exit.
        case giveUp
        /// Draining is over and DISCONNECT was sent: close the socket; the connection is done.
        case stopped
        /// Log `event`.
        case event(WorkerEvent)
    }

    private enum Phase: Sendable, Hashable {
        case connected
        case waiting(until: ContinuousClock.Instant)
        case stopped
    }

    /// The configuration the machine was created with.
    public let configuration: WorkerConfiguration
    private var phase: Phase
    private var generation = 0
    private var isExtended = false
    /// Set when the broker agreed to batches (tasks may come as TASKS, and results go back as RESULTS): the most bytes
    /// of entries one RESULTS message carries, as the broker said.
    private var resultBudget: Int?
    /// Results waiting for ``flushResults(at:)``, while batching.
    private var pendingResults: [WorkerResult] = []
    private var pendingBytes = 0
    /// The broker's `--max-message-size`, when it said it in its acknowledgement.
    private var brokerMessageBytes: Int?
    /// The broker's heartbeat interval, when a Corsair broker said it; silence is judged by the longer interval.
    private var brokerInterval: Duration? {
        didSet { brokerExpiry = Self.brokerExpiry(configuration, brokerInterval: brokerInterval) }
    }
    /// How long the broker may be silent. Kept, not computed on each loop: `Duration` times an integer goes through
    /// 128-bit arithmetic, a cost the worker's loop paid on every wake-up.
    private var brokerExpiry: Duration
    private var isDraining = false
    private var backoff: Backoff
    private var lastReceivedAt: ContinuousClock.Instant
    private var lastSentAt: ContinuousClock.Instant
    private var brokerLostAt: ContinuousClock.Instant?
    /// The envelopes of the tasks running; each is hashed twice per task, on arrival and on finish.
    private var inFlight: Set<ByteKey> = []

    /// Creates a connection that connects at `now`.
    public init(configuration: WorkerConfiguration, now: ContinuousClock.Instant) {
        self.configuration = configuration
        self.phase = .waiting(until: now)
        self.backoff = Backoff(initial: configuration.reconnectInitial, maximum: configuration.reconnectMaximum)
        self.lastReceivedAt = now
        self.lastSentAt = now
        self.brokerExpiry = Self.brokerExpiry(configuration, brokerInterval: nil)
    }

    /// How many tasks are running on this connection.
    public var tasksInFlight: Int { inFlight.count }

    /// Whether the broker accepted Corsair's extension on the current connection.
    public var extensionAccepted: Bool { isExtended }

    /// Whether the broker agreed to take results in batches on the current connection.
    public var batchingAccepted: Bool { resultBudget != nil }

    /// The most bytes of result a task may return on the current connection (see ``ResultLimit``).
    public var maxResultBytes: Int {
        ResultLimit.bytes(messageBytes: brokerMessageBytes, workerLimit: configuration.maxResultBytes)
    }

    /// Whether the connection has finished for good.
    public var isStopped: Bool { phase == .stopped }

    /// When ``tick(at:)`` next has work to do.
    public var nextDeadline: ContinuousClock.Instant? {
        switch phase {
        case .connected:
            min(lastSentAt + configuration.heartbeatInterval, lastReceivedAt + brokerExpiry)
        case .waiting(let until):
            until
        case .stopped:
            nil
        }
    }

    /// How long the broker may be silent: liveness × the longer of both sides' intervals, so a broker that heartbeats
    /// less often than this worker is not taken for dead.
    private static func brokerExpiry(_ configuration: WorkerConfiguration, brokerInterval: Duration?) -> Duration {
        max(configuration.heartbeatInterval, brokerInterval ?? .zero) * configuration.liveness
    }

    // MARK: - Events

    /// The driver opened a new socket: register with READY, offering Corsair's extension.
    public mutating func connected(at now: ContinuousClock.Instant) -> [Action] {
        phase = .connected
        generation += 1
        isExtended = false
        resultBudget = nil
        brokerMessageBytes = nil
        brokerInterval = nil
        inFlight.removeAll()
        dropPendingResults()
        lastReceivedAt = now
        var offer = WorkerOffer(
            credit: configuration.concurrency, heartbeatInterval: configuration.heartbeatInterval,
            name: configuration.name, host: configuration.host, pid: configuration.pid, batching: true, cancels: true)
        offer.version = CorsairVersion.current
        offer.acceptsShutdown = true
        return [
            send(.ready(category: configuration.category, offer: offer), at: now),
            .event(.connecting(broker: configuration.broker, category: configuration.category)),
        ]
    }

    /// A message arrived from the broker.
    public mutating func messageReceived(_ frames: [[UInt8]], at now: ContinuousClock.Instant) -> [Action] {
        guard phase == .connected else { return [] }
        let message: BrokerToWorker
        do {
            message = try MDPCodec.decodeAtWorker(frames)
        } catch {
            return [.event(.badMessage(error))]
        }
        lastReceivedAt = now
        if brokerLostAt != nil {
            brokerLostAt = nil
        }
        backoff.reset()
        switch message {
        case .heartbeat(let accepted, let interval, let batchBytes, let maxMessageBytes):
            guard accepted, !isExtended else { return [] }
            isExtended = true
            resultBudget = batchBytes
            brokerMessageBytes = maxMessageBytes
            brokerInterval = interval
            return [.event(.extensionAccepted)]
        case .tasks(let tasks):
            guard resultBudget != nil else {
                return [
                    .event(
                        .badMessage(
                            ProtocolError(frame: 1, of: frames.count, "TASKS before the broker agreed to batches")))
                ]
            }
            var actions: [Action] = []
            actions.reserveCapacity(tasks.count)
            for task in tasks {
                assigned(task: task, at: now, into: &actions)
            }
            return actions
        case .disconnect:
            return reconnect(at: now, event: .disconnectedByBroker)
        case .cancel(let envelope):
            // A CANCEL for a task that already finished (its answer crossed the CANCEL) has nothing to stop.
            guard inFlight.contains(ByteKey(envelope)) else { return [] }
            return [.cancel(TaskTicket(generation: generation, envelope: envelope))]
        case .shutdown(let handBack):
            return shutdownReceived(handBack: handBack, frameCount: frames.count, at: now)
        case .request(let envelope, let body):
            return request(
                envelope: envelope, body: body, bodyStart: frames.count - body.count, frameCount: frames.count, at: now)
        }
    }

    private mutating func request(
        envelope: [UInt8],
        body: [[UInt8]],
        bodyStart: Int,
        frameCount: Int,
        at now: ContinuousClock.Instant
    ) -> [Action] {
        if isDraining {
            // A Corsair broker takes the task back without counting the attempt; a plain one has no way to.
            guard isExtended else { return [.event(.requestRefusedWhileDraining)] }
            return [handBack(envelope, at: now), .event(.requestHandedBack)]
        }
        var task = WorkerTask(
            id: nil, category: configuration.category, attempt: nil, timeout: nil, payload: [],
            maxResultBytes: maxResultBytes)
        if isExtended {
            guard let first = body.first else {
                return [
                    .event(
                        .badMessage(ProtocolError(frame: nil, of: frameCount, "extended REQUEST lacks its task header"))
                    )
                ]
            }
            do {
                let header = try TaskHeader(decoding: first, frame: bodyStart, of: frameCount)
                task.id = header.id
                task.attempt = header.attempt
                task.timeout = header.timeout
            } catch {
                return [.event(.badMessage(error))]
            }
            task.payload = Self.joined(body.dropFirst())
        } else {
            task.payload = Self.joined(body[...])
        }
        inFlight.insert(ByteKey(envelope))
        return [.run(TaskTicket(generation: generation, envelope: envelope), task)]
    }

    /// The payload frames as one byte string; a single frame (the usual case) is shared, not copied, so a large
    /// payload is held once.
    private static func joined(_ frames: ArraySlice<[UInt8]>) -> [UInt8] {
        frames.count == 1 ? frames[frames.startIndex] : frames.reduce(into: []) { $0.append(contentsOf: $1) }
    }

    /// One task of a TASKS message: run it, or hand it back while draining.
    private mutating func assigned(task: AssignedTask, at now: ContinuousClock.Instant, into actions: inout [Action]) {
        let envelope = task.token.encoded
        if isDraining {
            actions.append(handBack(envelope, at: now))
            actions.append(.event(.requestHandedBack))
            return
        }
        inFlight.insert(ByteKey(envelope))
        actions.append(
            .run(
                TaskTicket(generation: generation, envelope: envelope),
                WorkerTask(
                    id: task.id, category: configuration.category, attempt: task.token.attempt, timeout: task.timeout,
                    payload: task.payload, maxResultBytes: maxResultBytes)))
    }

    /// A task's handler finished: send FINAL, or while batching add the result to the next RESULTS message (sent
    /// by ``flushResults(at:)``, or now when it is full), unless the connection it came on is gone. A result over
    /// ``maxResultBytes`` is replaced by the `result_too_large` failure, whatever handler returned it.
    public mutating func taskFinished(
        _ ticket: TaskTicket,
        result: Result<[UInt8], TaskFailure>,
        at now: ContinuousClock.Instant
    ) -> [Action] {
        guard ticket.generation == generation, phase == .connected, inFlight.remove(ByteKey(ticket.envelope)) != nil
        else {
            return [.event(.resultDropped)]
        }
        var result = result
        if case .success(let output) = result, output.count > maxResultBytes {
            result = .failure(ResultLimit.failure("the result is \(output.count) bytes", limit: maxResultBytes))
        }
        var actions: [Action]
        if let budget = resultBudget, let token = AssignmentToken(decoding: ticket.envelope) {
            let (outcome, output) = Self.outcome(of: result)
            actions = gather(WorkerResult(token: token, outcome: outcome, output: output), within: budget, at: now)
        } else if isExtended {
            let (outcome, output) = Self.outcome(of: result)
            actions = [final(ticket.envelope, body: [[outcome.rawValue], output], at: now)]
        } else {
            switch result {
            case .success(let output):
                actions = [final(ticket.envelope, body: [output], at: now)]
            case .failure(let failure):
                // Plain MDP has no failure reply; the client gets the message as the reply body.
                actions = [final(ticket.envelope, body: [Array("error: \(failure.message)".utf8)], at: now)]
            }
        }
        if isDraining && inFlight.isEmpty {
            actions += finishDraining(at: now)
        }
        return actions
    }

    /// How a Corsair broker is told a handler's result: its outcome and the result or error text.
    private static func outcome(of result: Result<[UInt8], TaskFailure>) -> (TaskOutcome, [UInt8]) {
        switch result {
        case .success(let output):
            (.succeeded, output)
        case .failure(let failure):
            (failure.isRetryable ? .failed : .rejected, Array(failure.message.utf8))
        }
    }

    /// Adds `entry` to the next RESULTS message, sending what is gathered first when `entry` would take it over the
    /// `budget` bytes, and sending it now when it is full. An entry over the budget on its own goes alone.
    private mutating func gather(_ entry: WorkerResult, within budget: Int, at now: ContinuousClock.Instant) -> [Action]
    {
        let size = 17 + entry.output.count  // key, attempt, outcome and length, then the output
        var actions: [Action] = []
        if !pendingResults.isEmpty && pendingBytes + size > budget {
            actions += flushResults(at: now)
        }
        pendingResults.append(entry)
        pendingBytes += size
        if pendingResults.count >= TaskBatch.limit.count || pendingBytes >= budget {
            actions += flushResults(at: now)
        }
        return actions
    }

    private mutating func final(_ envelope: [UInt8], body: [[UInt8]], at now: ContinuousClock.Instant) -> Action {
        send(.final(envelope: envelope, body: body), at: now)
    }

    /// Sends the results gathered since the last call as one RESULTS message; the driver calls this after each pass
    /// over its sockets and mailbox.
    public mutating func flushResults(at now: ContinuousClock.Instant) -> [Action] {
        guard !pendingResults.isEmpty, phase == .connected else { return [] }
        let results = pendingResults
        dropPendingResults()
        return [send(.results(results), at: now)]
    }

    private mutating func dropPendingResults() {
        pendingResults.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    /// Lets time pass: heartbeat, notice a silent broker, reconnect when the backoff delay is over, give up.
    public mutating func tick(at now: ContinuousClock.Instant) -> [Action] {
        switch phase {
        case .stopped:
            return []
        case .waiting(let until):
            if let lostAt = brokerLostAt, let limit = configuration.giveUpAfter, now - lostAt >= limit {
                phase = .stopped
                return [.event(.gaveUp(after: now - lostAt)), .giveUp]
            }
            return now >= until ? [.connect] : []
        case .connected:
            if now - lastReceivedAt >= brokerExpiry {
                return reconnect(at: now, event: .brokerSilent(for: now - lastReceivedAt))
            }
            if now - lastSentAt >= configuration.heartbeatInterval {
                return [send(.heartbeat, at: now)]
            }
            return []
        }
    }

    /// Stop taking tasks; once those in flight are done, send DISCONNECT and stop.
    public mutating func drain(at now: ContinuousClock.Instant) -> [Action] {
        isDraining = true
        return phase == .connected && !inFlight.isEmpty ? [] : stop(at: now)
    }

    /// Stop now, abandoning tasks in flight (the broker requeues them): the drain timeout ran out.
    public mutating func stop(at now: ContinuousClock.Instant) -> [Action] {
        switch phase {
        case .connected:
            return finishDraining(at: now)
        case .waiting:
            phase = .stopped
            return [.stopped]
        case .stopped:
            return []
        }
    }

    /// SHUTDOWN from the broker: drain (or with `handBack` stop now, handing the tasks back), then DISCONNECT and
    /// stop for good, without reconnecting. Only a broker that accepted the extension may order it.
    private mutating func shutdownReceived(
        handBack: Bool,
        frameCount: Int,
        at now: ContinuousClock.Instant
    ) -> [Action] {
        guard isExtended else {
            let error = ProtocolError(frame: nil, of: frameCount, "SHUTDOWN before the broker accepted corsair/1")
            return [.event(.badMessage(error))]
        }
        let event = Action.event(.shutdownByBroker(handBack: handBack))
        return [event] + (handBack ? stop(at: now) : drain(at: now))
    }

    // MARK: - Helpers

    private mutating func finishDraining(at now: ContinuousClock.Instant) -> [Action] {
        var actions = flushResults(at: now)
        phase = .stopped
        let abandoned = inFlight.count
        // Tasks still running are handed back so that a Corsair broker requeues them without counting an attempt;
        // a plain broker requeues them when it sees DISCONNECT.
        if isExtended {
            actions += inFlight.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) }.map { handBack($0, at: now) }
        }
        inFlight.removeAll()
        actions += [
            send(.disconnect, at: now), .event(.drained(abandoned: abandoned)), .stopped,
        ]
        return actions
    }

    private mutating func handBack(_ envelope: [UInt8], at now: ContinuousClock.Instant) -> Action {
        final(envelope, body: [[TaskOutcome.handedBack.rawValue], Array("worker shutting down".utf8)], at: now)
    }

    private mutating func reconnect(at now: ContinuousClock.Instant, event: WorkerEvent) -> [Action] {
        if brokerLostAt == nil {
            brokerLostAt = now
        }
        let delay = backoff.next()
        phase = .waiting(until: now + delay)
        generation += 1
        inFlight.removeAll()
        dropPendingResults()
        return [.event(event), .closeSocket, .event(.reconnecting(after: delay))]
    }

    /// Encodes `message` to send it. A RESULTS message fails to encode only if a result is over the wire's `u32`
    /// length, which ``maxResultBytes`` rules out (``ResultLimit``); should it happen, the results are dropped and
    /// reported, and the broker retries their tasks after their timeout, rather than the worker stopping.
    private mutating func send(_ message: WorkerMessage, at now: ContinuousClock.Instant) -> Action {
        do {
            let frames = try MDPCodec.encodeFromWorker(message)
            lastSentAt = now
            return .send(frames)
        } catch {
            return .event(.unsendable(error))
        }
    }
}

/// Names one task a connection handed out, so its result goes back on the connection it came from (or nowhere).
public struct TaskTicket: Sendable, Hashable {
    /// Which socket of the connection the task arrived on; results for an older one are dropped.
    public var generation: Int
    /// The envelope to echo in FINAL.
    public var envelope: [UInt8]
}

/// Something a worker connection reports for the log.
public enum WorkerEvent: Sendable, Hashable {
    /// A new socket is connecting and READY went out.
    case connecting(broker: String, category: String)
    /// The broker acknowledged corsair/1: task headers and outcome frames from now on, and batches when it agreed.
    case extensionAccepted
    /// The broker sent DISCONNECT; the worker reconnects.
    case disconnectedByBroker
    /// Nothing came from the broker for liveness × heartbeat interval; the worker reconnects.
    case brokerSilent(for: Duration)
    /// The next connection attempt waits this long.
    case reconnecting(after: Duration)
    /// The broker stayed away longer than `giveUpAfter`.
    case gaveUp(after: Duration)
    /// A message from the broker broke the protocol and was dropped.
    case badMessage(ProtocolError)
    /// A REQUEST arrived while draining from a plain MDP broker and was not run (it has no way to take it back).
    case requestRefusedWhileDraining
    /// A REQUEST arrived while draining and was handed back to the Corsair broker unrun.
    case requestHandedBack
    /// A result for a task from an earlier connection was dropped: that broker session is gone.
    case resultDropped
    /// A message could not be encoded (a result over its length field) and was not sent.
    case unsendable(WireLengthError)
    /// Draining ended with DISCONNECT; `abandoned` tasks were still running (handed back, or requeued by the broker).
    case drained(abandoned: Int)
    /// The broker sent SHUTDOWN (`corsair shutdown`): the connection drains, or with `handBack` hands its tasks back
    /// now, then stops for good.
    case shutdownByBroker(handBack: Bool)
}
