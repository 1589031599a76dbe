/// The broker's record of one connected worker (one DEALER connection serving one category). A class, updated in
/// place; only the broker's state machine holds records.
final class WorkerRecord {
    let peer: PeerID
    let category: String
    /// The category's queue, which lists this worker while it has free credit.
    let queue: CategoryQueue
    let framing: Framing
    /// The worker's own name when it gave one (Corsair workers), else its routing id in hex.
    let name: String
    /// The worker's host and process id, when it said (Corsair workers).
    let host: String?
    let pid: Int?
    /// How many tasks it may hold at once: 1 for plain MDP workers, the offered credit for Corsair workers.
    let credit: Int
    /// Whether it took the Corsair extension (task headers down, outcome frames up).
    let isExtended: Bool
    /// The MDP version it spoke in READY, to send it commands in; an MDP/0.1 worker is never extended.
    var mdpVersion = MDPVersion.v02
    /// Whether it takes TASKS and sends RESULTS (``TaskBatch``).
    let batching: Bool
    /// Whether it offered `cancel=1`: the broker sends it CANCEL (``AttemptCancel``) for a cancelled task's attempt.
    var takesCancel = false
    /// Silence longer than this means it is dead.
    let expiry: Duration
    let joinedAt: ContinuousClock.Instant
    /// The attempts this worker holds, including ones the broker gave up on (timed out) that it has not answered yet:
    /// each occupies a unit of credit until its FINAL arrives.
    var inFlight: Set<AssignmentToken> = []
    /// Attempts this worker finished with a result, and attempts it reported failed.
    var completed = 0
    var failed = 0
    var lastReceivedAt: ContinuousClock.Instant
    var lastSentAt: ContinuousClock.Instant
    /// Whether the worker has an entry in its category's available list.
    var isListed = false
    /// Whether the worker handed a task back because it is shutting down: it gets no more work.
    var isDraining = false
    /// The worker's software version, when it said (``WorkerOffer/version``).
    var version: String?
    /// Whether the worker offered to obey SHUTDOWN (``WorkerOffer/acceptsShutdown``).
    var acceptsShutdown = false
    /// Whether the broker sent it SHUTDOWN: it gets no more work, and a stopping broker waits until it has left.
    var isShuttingDown = false
    /// Whether the worker is still registered; entries of dropped workers in a queue's available list are skipped.
    var isConnected = true
    /// Tasks assigned to a batching worker during the current dispatch pass, sent as TASKS when the pass ends.
    var assigned: [AssignedTask] = []
    var assignedBytes = 0
    /// The name and fingerprint of the CURVE key the worker authenticated with, under allow lists.
    var keyName: String?
    var keyFingerprint: String?

    var hasCredit: Bool { inFlight.count < credit }

    /// The protocol it speaks, as `corsair workers` lists it: `corsair/1`, `mdp/0.2` or `mdp/0.1`.
    var protocolName: String { isExtended ? "corsair/1" : mdpVersion.description }

    init(
        peer: PeerID,
        queue: CategoryQueue,
        framing: Framing,
        name: String,
        host: String?,
        pid: Int?,
        credit: Int,
        isExtended: Bool,
        batching: Bool,
        expiry: Duration,
        joinedAt: ContinuousClock.Instant
    ) {
        self.peer = peer
        self.queue = queue
        self.category = queue.name
        self.framing = framing
        self.name = name
        self.host = host
        self.pid = pid
        self.credit = credit
        self.isExtended = isExtended
        self.batching = batching
        self.expiry = expiry
        self.joinedAt = joinedAt
        self.lastReceivedAt = joinedAt
        self.lastSentAt = joinedAt
    }
}
