import Logging
import ZeroMQ

/// Carries out a state machine's actions on the broker I/O thread.
struct BrokerDriver {
    var machine: BrokerStateMachine
    /// Owned by the broker I/O thread.
    let router: Socket
    let logger: Logger
    let metrics: BrokerMetrics?
    /// What went wrong below the state machine; task and message totals live in its statistics.
    var counters = SocketCounters()
    /// Acknowledgements and results on their way to batch clients, held so that many leave as few messages.
    private(set) var outbox = ClientOutbox()
    /// Where replays of results the machine no longer holds are read: the journal, once there is one; `nil` for an
    /// in-memory broker, whose machine never asks (it replays from memory).
    var finishedResults: (any FinishedResultReader)?
    /// Replays the machine asked for in this pass, carried out at its end (``flushOutbox(everything:)``), once every
    /// journal record emitted so far is committed.
    private(set) var replays: [(session: [UInt8], after: UInt64, limit: Int, peer: PeerID)] = []
    /// Journal look-ups the machine asked for in this pass, with the messages held for them; carried out likewise.
    var lookups: [(lookup: JournalLookup, message: PendingMessage)] = []
    /// The durable broker's journal and what waits for its next commit; `nil` for an in-memory broker.
    var journal: JournalState?
    /// Peers a send found gone since the machine was last told (``settleUnreachable()``).
    var unreachable: [PeerID] = []
    /// The role check under CURVE with allow lists (`BrokerDriver+Access`); `nil` otherwise.
    var access: AccessGuard? = nil
    var authMetrics: AuthMetrics? = nil

    /// The totals logged when the broker stops.
    var summary: Logger.Metadata {
        let statistics = machine.statistics
        return [
            "tasks.submitted": "\(statistics.submitted)", "tasks.succeeded": "\(statistics.succeeded)",
            "tasks.failed": "\(statistics.failed)", "tasks.requeued": "\(statistics.requeued.values.reduce(0, +))",
            "messages.bad": "\(statistics.badMessages + counters.emptyMessages)",
            "replies.late": "\(statistics.lateReplies)", "peers.unreachable": "\(counters.unreachable)",
            "messages.dropped": "\(counters.dropped)", "results.withheld": "\(statistics.resultsWithheld)",
        ]
    }

    /// Answers a command from another thread; returns whether it asks the loop to stop.
    mutating func handle(_ command: BrokerLoop.Command) -> Bool {
        switch command {
        case .stop:
            return true
        case .submit(let tasks, let session, let continuation):
            lookUp(forSubmitting: tasks, session: session)
            let (receipt, actions) = machine.submit(tasks, session: session, at: .now)
            perform(actions)
            if journal == nil || receipt.accepted.isEmpty {
                continuation.resume(returning: receipt)
            } else {
                // Acknowledged means journaled: the receipt goes once this pass's records are committed.
                journal?.awaitingReceipts.append { continuation.resume(returning: receipt) }
            }
        case .status(let continuation):
            continuation.resume(returning: machine.status(at: .now))
        case .tasks(let query, let continuation):
            continuation.resume(returning: tasks(matching: query))
        case .accessChanged(let list):
            accessChanged(list)
        case .cancel(let request, let continuation):
            let (answers, actions) = machine.cancel(request, at: .now)
            perform(actions)
            if journal == nil {
                continuation.resume(returning: answers)
            } else {
                // Cancelled means journaled, as for submissions: the answer goes once this pass commits.
                journal?.awaitingReceipts.append { continuation.resume(returning: answers) }
            }
        case .worker(let name, let continuation):
            continuation.resume(returning: machine.workerReport(named: name, at: .now))
        case .batches(let limit, let continuation):
            continuation.resume(returning: machine.batchProgress(limit: limit))
        case .journal(let report):
            journalReported(report)
        }
        return false
    }

    /// Hands a message from the ROUTER, routing id first, to the state machine.
    mutating func received(_ frames: consuming [[UInt8]]) {
        guard frames.count >= 2 else {
            counters.emptyMessages += 1
            metrics?.recordEmptyMessage()
            logger.info("bad message dropped", metadata: ["error": "message with no frames after the routing id"])
            return
        }
        // In place: the message is this function's own, so dropping the routing id copies nothing.
        let peer = PeerID(frames.removeFirst())
        if logger.logLevel <= .trace {
            logger.trace("received", metadata: ["peer.identity": "\(peer)", "frames": "\(frames.map(\.printable))"])
        }
        perform(machine.messageReceived(frames, from: peer, at: .now))
    }

    mutating func perform(_ actions: [BrokerAction]) {
        for action in actions {
            switch action {
            case .send(let message, let peer):
                if let journal, message.waitsForJournal {
                    journal.awaitingSends.append((message, peer))
                    if case .batch(_, .results(let results)) = message {
                        journal.awaitingResults += results.count
                    }
                } else {
                    send(message, to: peer)
                }
            case .journal(let record):
                journal?.pending.append(record)
            case .event(let event):
                log(event)
                metrics?.record(event)
            case .replayResults(let session, let after, let limit, let peer):
                replays.append((session, after, limit, peer))
            case .lookUp(let lookup, let message):
                lookups.append((lookup, message))
            case .answerTasks(let query, let framing, let peer):
                send(.batch(framing, .report(BrokerStateMachine.reportJSON(tasks(matching: query)))), to: peer)
            }
        }
    }

    /// Sends what the outbox has due: results gathered in this pass, acknowledgements held long enough, or with
    /// `everything` all it holds. Sends can fail and make more results due (a dropped worker's task fails), so it
    /// repeats until nothing is due.
    mutating func flushOutbox(everything: Bool = false) {
        runLookups()
        replayResults()
        settleUnreachable()
        while case let due = outbox.due(at: .now, everything: everything), !due.isEmpty {
            for (peer, messages) in due {
                for message in messages {
                    transmit(message, to: peer)
                }
            }
            settleUnreachable()
        }
    }

    /// Reads the replays asked for in this pass from the journal and hands them to the machine; a replay that
    /// cannot be read is answered with ERROR.
    private mutating func replayResults() {
        // The machine holds back live results above the replay position because the replay will read them: the
        // read must see every record emitted so far, so it waits for the writer to commit them all (a few ms, only
        // when a replay is due). A replay's STREAM leaves at once; while live results still wait for a commit (the
        // journal is full), it would overtake them, so it waits for a later pass.
        guard !replays.isEmpty, catchUpJournal() else { return }
        while !replays.isEmpty {
            let (session, after, limit, peer) = replays.removeFirst()
            guard let reader = finishedResults ?? journal?.journal else {
                logger.error("replay asked for without a journal", metadata: ["peer.identity": "\(peer)"])
                continue
            }
            do {
                let results = try reader.finishedResults(batch: session, afterKey: after, limit: limit)
                // Read after this pass's commit, the replayed results are journaled: their STREAM need not wait.
                for action in machine.resultsReplayed(
                    results, session: session, after: after, to: peer, limit: limit)
                {
                    if case .send(let message, let peer) = action {
                        send(message, to: peer)
                    } else {
                        perform([action])
                    }
                }
            } catch {
                logger.error("cannot replay results", metadata: ["peer.identity": "\(peer)", "error": "\(error)"])
                // A broker another one took over from sends its clients on, as a standby does.
                let deposed = (error as? JournalError)?.kind == .deposed
                let message =
                    deposed
                    ? StandbyReply.status(active: "") : "cannot read finished results from the journal: \(error)"
                send(.batch(.delimited, .error(message)), to: peer)
            }
        }
    }

    mutating func send(_ message: BrokerOutbound, to peer: PeerID) {
        switch message {
        case .batch(let framing, .results(let results)):
            for full in outbox.hold(results: results, framing: framing, for: peer) {
                transmit(full, to: peer)
            }
        case .batch(let framing, .accepted(let ids)):
            for full in outbox.hold(accepted: ids, framing: framing, for: peer, at: .now) {
                transmit(full, to: peer)
            }
        default:
            // Keep order: what the client was due before this message goes first.
            for held in outbox.release(peer) {
                transmit(held, to: peer)
            }
            transmit(message, to: peer)
        }
    }

    private mutating func transmit(_ message: BrokerOutbound, to peer: PeerID) {
        let frames: [[UInt8]]
        do {
            frames = try MDPCodec.encode(message)
        } catch {
            // The state machine fails a result the wire cannot carry (result_too_large) and refuses any input larger
            // than --max-message-size, which is within every length field: should a message still not fit, it is
            // dropped and logged rather than the broker stopped.
            counters.dropped += 1
            logger.error("message not encoded, dropped", metadata: ["peer.identity": "\(peer)", "error": "\(error)"])
            return
        }
        do {
            if try !router.send(frames, routingID: peer.bytes, blocking: false) {
                counters.dropped += 1
                logger.info("send queue full, message dropped", metadata: ["peer.identity": "\(peer)"])
            }
        } catch let error where error.code == .hostUnreachable {
            counters.unreachable += 1
            logger.debug("peer unreachable", metadata: ["peer.identity": "\(peer)"])
            // The machine hears of it once the ROUTER has been read (`settleUnreachable`).
            unreachable.append(peer)
        } catch {
            counters.dropped += 1
            logger.info("send failed", metadata: ["peer.identity": "\(peer)", "error": "\(error)"])
        }
    }

    private func log(_ event: BrokerEvent) {
        switch event {
        case .taskDispatched, .taskRequeued, .taskFinished, .tasksAccepted:
            logTask(event)
        case .resultWithheld:
            // Counted only: the first of a run is logged as `resultsWithheld`.
            break
        case .requestQueued(let id, let category):
            if logger.logLevel <= .debug {
                logger.debug("request queued", metadata: ["task.id": "\(id)", "task.category": "\(category)"])
            }
        case .workerJoined(let peer, let name, let category, let credit, let wire):
            logger.info(
                "worker joined",
                metadata: [
                    "worker.id": "\(name)", "peer.identity": "\(peer)", "task.category": "\(category)",
                    "worker.credit": "\(credit)", "worker.protocol": "\(wire)",
                ])
        case .workerLeft(let peer, let name, let category, let reason, let inFlight):
            logger.info(
                "worker left",
                metadata: [
                    "worker.id": "\(name)", "peer.identity": "\(peer)", "task.category": "\(category)",
                    "reason": "\(reason.rawValue)", "worker.in_flight": "\(inFlight)",
                ])
        case .badMessage(let peer, let error):
            logger.info("bad message dropped", metadata: ["peer.identity": "\(peer)", "error": "\(error)"])
        case .unexpectedMessage(let peer, let what):
            logger.info("unexpected message", metadata: ["peer.identity": "\(peer)", "error": "\(what)"])
        case .resultsWithheld(let session, let peer, let unread):
            logger.warning(
                "client not reading, results withheld",
                metadata: ["client.session": "\(session)", "peer.identity": "\(peer)", "unread.bytes": "\(unread)"])
        case .resultsResumed(let session, let peer, let sent, let forgotten):
            logger.info(
                "client reading again, withheld results resumed",
                metadata: [
                    "client.session": "\(session)", "peer.identity": "\(peer)", "results.sent": "\(sent)",
                    "results.forgotten": "\(forgotten)",
                ])
        case .lateReply(let peer, let envelope):
            logger.debug("late reply ignored", metadata: ["peer.identity": "\(peer)", "envelope": "\(envelope)"])
        case .shutdownRequested(let category, let handBack, let stopping, let skipped, let brokerStops):
            logger.info(
                "shutdown requested",
                metadata: [
                    "task.category": "\(category ?? "*")",
                    "shutdown.mode": "\(handBack ? "hand back" : "finish tasks")",
                    "workers.stopping": "\(stopping)", "workers.skipped": "\(skipped)",
                    "broker.stops": "\(brokerStops)",
                ])
        }
    }

    private func logTask(_ event: BrokerEvent) {
        switch event {
        case .taskDispatched(let id, let category, let worker, let attempt, _):
            if logger.logLevel <= .debug {
                logger.debug(
                    "task dispatched",
                    metadata: [
                        "task.id": "\(id)", "task.category": "\(category)", "worker.id": "\(worker)",
                        "task.attempt": "\(attempt)",
                    ])
            }
        case .taskRequeued(let id, let category, let reason, let attempt):
            logger.info(
                "task requeued",
                metadata: [
                    "task.id": "\(id)", "task.category": "\(category)", "reason": "\(reason)",
                    "task.attempt": "\(attempt)",
                ])
        case .taskFinished(let id, let category, let outcome, let attempts, let reason):
            if outcome != .succeeded {
                logger.info(
                    outcome == .cancelled ? "task cancelled" : "task failed",
                    metadata: [
                        "task.id": "\(id)", "task.category": "\(category)", "task.attempts": "\(attempts)",
                        "reason": "\(reason ?? "")",
                    ])
            } else {
                if logger.logLevel <= .debug {
                    logger.debug(
                        "task succeeded",
                        metadata: ["task.id": "\(id)", "task.category": "\(category)", "task.attempts": "\(attempts)"])
                }
            }
        case .tasksAccepted(let session, let accepted, let duplicates, let rejected):
            logger.info(
                "tasks accepted",
                metadata: [
                    "client.session": "\(session)", "accepted": "\(accepted)", "duplicates": "\(duplicates)",
                    "rejected": "\(rejected)",
                ])
        default:
            break
        }
    }
}

/// Failures the loop sees at the socket, which the state machine never hears of.
struct SocketCounters {
    /// Messages with nothing after the routing id.
    var emptyMessages = 0
    /// Sends that found their peer gone.
    var unreachable = 0
    /// Sends dropped because the peer's queue was full or the send failed.
    var dropped = 0
}
