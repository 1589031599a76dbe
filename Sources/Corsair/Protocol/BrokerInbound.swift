/// A message the broker received, decoded, with the framing the peer used.
public enum BrokerInbound: Sendable, Hashable {
    /// An MDP/Worker command, in the protocol version the worker spoke (an MDP/0.1 REPLY arrives as ``WorkerMessage/final(envelope:body:)``).
    case worker(WorkerMessage, Framing, version: MDPVersion = .v02)
    /// An MDP/Client REQUEST (MDP/0.1 or 0.2: see its ``ClientRequest/dialect``).
    case client(ClientRequest)
    /// A Corsair batch client message.
    case batchClient(ClientMessage, Framing)
}

/// An MDP/Worker command sent by a worker.
public enum WorkerMessage: Sendable, Hashable {
    /// Frame 2 names the category; a Corsair worker adds its ``WorkerOffer``.
    case ready(category: String, offer: WorkerOffer?)
    /// A partial reply for the task in `envelope`.
    case partial(envelope: [UInt8], body: [[UInt8]])
    /// The final reply for the task in `envelope`.
    case final(envelope: [UInt8], body: [[UInt8]])
    /// Final replies for many tasks (``TaskBatch``), from a worker whose batch offer the broker accepted.
    case results([WorkerResult])
    /// Liveness; any other command counts as one too.
    case heartbeat
    /// The worker is leaving.
    case disconnect
}

/// An MDP/Client REQUEST.
public struct ClientRequest: Sendable, Hashable {
    /// The client's framing, to answer in.
    public var framing: Framing
    /// The client's command numbering, to answer in.
    public var dialect: ClientDialect
    /// The category (MDP service) the request is for.
    public var category: String
    /// The request body frames.
    public var body: [[UInt8]]

    /// Creates a request.
    public init(framing: Framing, dialect: ClientDialect, category: String, body: [[UInt8]]) {
        self.framing = framing
        self.dialect = dialect
        self.category = category
        self.body = body
    }
}

/// A message from the broker to a worker, as the worker decodes it.
public enum BrokerToWorker: Sendable, Hashable {
    /// Work: the envelope to echo and the body (a ``TaskHeader`` frame first when the extension is on).
    case request(envelope: [UInt8], body: [[UInt8]])
    /// Work for a worker that offered batches: many tasks in one message (``TaskBatch``).
    case tasks([AssignedTask])
    /// Liveness; `extensionAccepted` when it carries ``WorkerExtension/marker``, with the broker's heartbeat interval
    /// when it says it (`heartbeat-ms=N` after the marker), and when it accepts batches (`batch=1`) the most bytes a
    /// RESULTS message may carry (`batch-bytes=N`, else ``TaskBatch/limit``); `maxMessageBytes` is the broker's
    /// `--max-message-size` when it says it (`max-message-bytes=N`), which bounds every result.
    case heartbeat(
        extensionAccepted: Bool, brokerInterval: Duration?, batchBytes: Int? = nil, maxMessageBytes: Int? = nil)
    /// The broker dropped this worker: reconnect on a new socket.
    case disconnect
    /// Stop the attempt with this envelope: its task was cancelled (``AttemptCancel``).
    case cancel(envelope: [UInt8])
    /// SHUTDOWN (``WorkerShutdown``): stop for good, finishing the tasks in flight or, with `handBack`, handing them
    /// back now.
    case shutdown(handBack: Bool)
}

/// A message the broker sends, before encoding.
public enum BrokerOutbound: Sendable, Hashable {
    /// MDP/Worker REQUEST, with the ``TaskHeader`` frame when the worker took the extension, in the worker's version.
    case request(Framing, envelope: [UInt8], header: TaskHeader?, body: [[UInt8]], version: MDPVersion = .v02)
    /// MDP/Worker TASKS (``TaskBatch``), to a worker whose batch offer the broker accepted.
    case tasks(Framing, [AssignedTask])
    /// MDP/Worker HEARTBEAT. With `acknowledgement` (the broker's heartbeat interval) it accepts the worker's
    /// corsair/1 offer: ``WorkerExtension/marker`` and `heartbeat-ms=N` follow the command. With `batchBytes` it
    /// accepts the offer of batches too (`batch=1`), and says how many bytes a RESULTS message may carry
    /// (`batch-bytes=N`), so that a worker's batch never crosses the broker's `--max-message-size`. With
    /// `maxMessageBytes` it tells that limit itself (`max-message-bytes=N`), so that the worker fails a larger result
    /// as `result_too_large` instead of sending a message the broker refuses. An MDP/0.1 HEARTBEAT carries none of
    /// these.
    case heartbeat(
        Framing, acknowledgement: Duration?, batchBytes: Int? = nil, maxMessageBytes: Int? = nil,
        version: MDPVersion = .v02)
    /// MDP/Worker DISCONNECT, in the worker's version.
    case disconnect(Framing, version: MDPVersion = .v02)
    /// Corsair's CANCEL (``AttemptCancel``), to a worker that offered `cancel=1`: stop the attempt with `envelope`.
    case cancel(Framing, envelope: [UInt8])
    /// Corsair SHUTDOWN (``WorkerShutdown``), to a worker that offered `shutdown=1`.
    case shutdown(Framing, handBack: Bool)
    /// MDP/Client PARTIAL or FINAL (MDP/0.1: REPLY, final only).
    case reply(Framing, ClientDialect, final: Bool, category: String, body: [[UInt8]])
    /// A Corsair batch client message.
    case batch(Framing, BrokerReply)
}
