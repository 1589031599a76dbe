/// The broker's record of one task: what it is, who asked, and where it stands.
///
/// A class, so the broker's hot paths update a task in place instead of copying a large value in and out of its
/// table; only the broker's state machine holds records. A broker may hold a million of them, so the record is kept
/// small: instants are stored as 8-byte ``Moment``s and limits as small integers; a finished task keeps its output
/// where its payload was and its finish time where its queue deadline was, since it needs neither any more; and what
/// only failed attempts need lives in a ``Details`` box created on first use. The properties read as ordinary ones.
final class TaskRecord {
    /// Where the task's result goes.
    enum Origin {
        /// A plain MDP client: reply in its framing and dialect.
        case mdp(PeerID, Framing, ClientDialect)
        /// A Corsair batch client session, or an HTTP gateway batch.
        case batch(BatchSession)
    }

    /// The request body: one frame (every batch task) without an array around it, or a plain MDP request's frames;
    /// once the task has finished, its output.
    enum Body {
        case single([UInt8])
        case frames([[UInt8]])
        case output([UInt8])

        /// A request body of `frames`, kept without an array around it when there is one.
        init(frames: [[UInt8]]) {
            self = frames.count == 1 ? .single(frames[0]) : .frames(frames)
        }
    }

    /// What only tasks that had an attempt end without a result carry.
    private final class Details {
        var lastError: String?
        var history: [String] = []
        /// The worker of the last attempt of a task restored from the journal, whose worker record is gone.
        var restoredWorker: String?
    }

    let key: TaskKey
    let id: String
    /// The task's category, which counts its tasks by state.
    let queue: CategoryQueue
    let priority: Int32
    let origin: Origin
    private var body: Body
    /// The worker of the current attempt while the task runs; once it stops running, the worker of its last attempt,
    /// which status and the attempt history name. One reference, where a routing id and a name were two.
    var worker: WorkerRecord?
    var attempts = 0
    private var timeoutMilliseconds: UInt32
    private var attemptLimit: UInt8
    var state: TaskState = .queued {
        didSet {
            queue.counts.move(from: oldValue, to: state)
            queue.stateIndex.entered(state, key)
        }
    }
    private var started = Moment.none
    private var queued = Moment.none
    /// The queue deadline while the task waits, its not-before time while scheduled, its finish time once it has
    /// finished.
    private var deadlineOrFinish = Moment.none
    private var details: Details?

    /// Creates a record of a task waiting to run `body`.
    init(
        key: TaskKey,
        id: String,
        queue: CategoryQueue,
        priority: Int32,
        origin: Origin,
        timeout: Duration?,
        maxAttempts: Int?,
        body: Body
    ) {
        self.key = key
        self.id = id
        self.queue = queue
        self.priority = priority
        self.origin = origin
        self.timeoutMilliseconds = timeout.map { UInt32(clamping: max(1, $0.wholeMilliseconds)) } ?? 0
        self.attemptLimit = maxAttempts.map { UInt8(clamping: $0) } ?? 0
        self.body = body
    }

    /// The task's category.
    var category: String { queue.name }

    /// The request body's frames; empty once the task has finished.
    var payload: [[UInt8]] {
        switch body {
        case .single(let frame): [frame]
        case .frames(let frames): frames
        case .output: []
        }
    }

    /// The request body as one byte string, as a TASKS message or a worker's handler sees it.
    var joinedPayload: [UInt8] {
        switch body {
        case .single(let frame): frame
        case .frames(let frames): frames.reduce(into: []) { $0.append(contentsOf: $1) }
        case .output: []
        }
    }

    /// How long one attempt may run, or `nil` for the broker's default.
    var timeout: Duration? { timeoutMilliseconds == 0 ? nil : .milliseconds(Int(timeoutMilliseconds)) }
    /// How many attempts the task gets, or `nil` for the broker's default.
    var maxAttempts: Int? { attemptLimit == 0 ? nil : Int(attemptLimit) }

    /// When the current or last attempt started.
    var startedAt: ContinuousClock.Instant? {
        get { started.instant }
        set { started = Moment(newValue) }
    }
    /// When the task last joined its queue (first submission or requeue), for the dispatch latency.
    var queuedAt: ContinuousClock.Instant? {
        get { queued.instant }
        set { queued = Moment(newValue) }
    }
    /// When the task fails with `no_worker` if its category still has no worker; `nil` while it runs or has workers.
    var queueDeadline: ContinuousClock.Instant? {
        get { state == .queued ? deadlineOrFinish.instant : nil }
        set { deadlineOrFinish = Moment(newValue) }
    }
    /// When the task finished; set it after ``state``.
    var finishedAt: ContinuousClock.Instant? {
        get { state.isFinished ? deadlineOrFinish.instant : nil }
        set { deadlineOrFinish = Moment(newValue) }
    }
    /// When a scheduled task joins its queue; `nil` unless the task is ``TaskState/scheduled``. Set it after
    /// ``state``: the slot is the queue deadline's, which a scheduled task does not have yet.
    var notBefore: ContinuousClock.Instant? {
        get { state == .scheduled ? deadlineOrFinish.instant : nil }
        set { deadlineOrFinish = Moment(newValue) }
    }
    var lastError: String? {
        get { details?.lastError }
        set { detailsCreated().lastError = newValue }
    }
    /// The name of the worker of the current or last attempt.
    var workerName: String? {
        get { worker?.name ?? details?.restoredWorker }
        set { detailsCreated().restoredWorker = newValue }
    }

    /// How each ended attempt ended, oldest first: `attempt 1 on host-12: worker_lost`.
    var history: [String] {
        get { details?.history ?? [] }
        set { detailsCreated().history = newValue }
    }
    /// The outcome delivered to the client, kept so a resubmission of a finished task is answered again. Setting it
    /// drops the payload.
    var output: [UInt8]? {
        get {
            guard case .output(let output) = body else { return nil }
            return output
        }
        set { body = .output(newValue ?? []) }
    }

    /// The plain MDP client it came from, as ``TaskStatus/client`` shows it.
    var client: String? {
        guard case .mdp(let peer, _, _) = origin else { return nil }
        return "mdp:\(peer)"
    }

    /// The batch it came in, as ``TaskStatus/batch`` shows it.
    var batch: String? {
        guard case .batch(let session) = origin else { return nil }
        return session.name
    }

    private func detailsCreated() -> Details {
        if let details { return details }
        let created = Details()
        details = created
        return created
    }
}
