/// Something that happened in the broker that an operator may want to see: the state machine reports it, the loop
/// logs and counts it.
public enum BrokerEvent: Sendable, Hashable {
    /// A worker sent READY; `protocol` is `corsair/1`, `mdp/0.2` or `mdp/0.1`.
    case workerJoined(peer: PeerID, name: String, category: String, credit: Int, protocol: String)
    /// A worker is gone; its in-flight tasks were requeued (or failed when out of attempts).
    case workerLeft(peer: PeerID, name: String, category: String, reason: WorkerLeaveReason, inFlight: Int)
    /// A task attempt started on a worker, `waited` after it joined (or rejoined) its queue.
    case taskDispatched(id: String, category: String, worker: String, attempt: Int, waited: Duration)
    /// An attempt ended without a result and the task went back to its queue.
    case taskRequeued(id: String, category: String, reason: String, attempt: Int)
    /// A task finished for good.
    case taskFinished(id: String, category: String, outcome: TaskOutcome, attempts: Int, reason: String?)
    /// A plain MDP client's request was queued as task `mdp-N` (sent only when every task is reported).
    case requestQueued(id: String, category: String)
    /// A batch client submitted tasks.
    case tasksAccepted(session: String, accepted: Int, duplicates: Int, rejected: Int)
    /// A message broke the protocol; it was dropped (and answered where the protocol allows).
    case badMessage(peer: PeerID, error: ProtocolError)
    /// A well-formed message that made no sense in the peer's state, for example a HEARTBEAT from an unknown worker.
    case unexpectedMessage(peer: PeerID, what: String)
    /// A reply for an attempt that is no longer current; ignored.
    case lateReply(peer: PeerID, envelope: String)
    /// A client was sent `unreadBytes` of results without sending anything since: the broker withholds its further
    /// results until it does (`+Withhold`).
    case resultsWithheld(session: String, peer: PeerID, unreadBytes: Int)
    /// One result of `session` was withheld from `peer` (sent only when every task is reported); the first of a run
    /// also comes as ``resultsWithheld(session:peer:unreadBytes:)``.
    case resultWithheld(session: String, peer: PeerID)
    /// A client that had results withheld sent something: `sent` of them went to it (the rest wait for its next
    /// message, or, for an attachment, its replay), `forgotten` were no longer held in memory.
    case resultsResumed(session: String, peer: PeerID, sent: Int, forgotten: Int)
    /// `corsair shutdown`: `stopping` worker connections were sent SHUTDOWN, `skipped` cannot be told.
    case shutdownRequested(category: String?, handBack: Bool, stopping: Int, skipped: Int, brokerStops: Bool)
}

/// Why the broker dropped a worker.
public enum WorkerLeaveReason: String, Sendable, Hashable {
    /// It sent DISCONNECT.
    case disconnected
    /// It was silent for liveness × heartbeat interval.
    case expired
    /// The ROUTER could no longer reach it.
    case unreachable
    /// It broke the protocol, for example with a second READY.
    case protocolViolation = "protocol_violation"
}

/// What the state machine asks its driver to do.
public enum BrokerAction: Sendable, Hashable {
    /// Encode `message` with ``MDPCodec/encode(_:)`` and send it to `peer`.
    case send(BrokerOutbound, to: PeerID)
    /// Log and count `event`.
    case event(BrokerEvent)
    /// Store `record` in the journal: the driver commits a pass's records in one transaction before it sends that
    /// pass's acknowledgements and results. Only emitted when ``BrokerConfiguration/journaled`` is on.
    case journal(JournalRecord)
    /// Read up to `limit` finished results of `session` with keys above `after`, oldest key first, from the journal
    /// (``FinishedResultReader``) and hand them to ``BrokerStateMachine/resultsReplayed(_:session:after:to:limit:)``. The
    /// driver does this after committing the journal records of the current pass, so the read sees every result
    /// the machine has finished. Only a journaled machine asks for it.
    case replayResults(session: [UInt8], after: UInt64, limit: Int, to: PeerID)
    /// Read what `lookup` asks for from the journal (``JournaledTaskLookup``), hand it to the machine, then hand
    /// `message` back with ``BrokerStateMachine/lookedUp(_:at:)``; after the pass's records are committed, so the
    /// read sees every record before it. Only a journaled machine asks for it (`+JournalLookup`).
    case lookUp(JournalLookup, then: PendingMessage)
    /// Answer `query` with the matching tasks from memory and the journal (`corsair tasks --batch` on a durable
    /// broker), as a REPORT to `peer` in `framing`.
    case answerTasks(TaskQuery, framing: Framing, to: PeerID)
}
