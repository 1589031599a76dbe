import DequeModule

/// A batch client session as the broker knows it: the ids of its tasks, for de-duplication, where its results go
/// now, and the results waiting to go there. A class, so a task record reaches its session without a lookup; only
/// the broker's state machine holds these.
final class BatchSession {
    /// The session's bytes, as the client sent them.
    let bytes: [UInt8]
    /// The session as logs and status show it: its name, or its bytes in hex (``BatchName/display(_:)``).
    let name: String
    /// The broker's key of each task id the session submitted that it still remembers.
    var ids = TaskIDIndex()
    /// The ids a durable broker's journal holds and its memory does not, after a restart.
    var journaled = JournaledIDs()
    /// Where the session's client is reachable now; `nil` for a session no client submitted over the wire (the HTTP
    /// gateway's batches), whose results stay in the task table.
    var client: ClientSession?
    /// Results finished during the current event, sent as one RESULT message when the event's actions are taken.
    var outgoing: [TaskResult] = []
    /// Keys of finished tasks whose results were withheld from ``client`` because it was not reading, oldest first
    /// (`+Withhold`).
    var withheld = Deque<UInt64>()
    /// Whether a result withheld from ``client`` could not be sent later, because the broker no longer held it: the
    /// client's next PING is answered PONG 0, so that it submits again what it lacks.
    var withheldForgotten = false
    /// Whether the session is in the machine's list of sessions with results to send for the current event.
    var hasResultsToSend = false
    /// Clients following the session's results (ATTACH); usually none or one.
    var attachments: [Attachment] = []
    /// The keys of the session's tasks the broker may still hold, oldest first: what an in-memory replay reads.
    /// Keys of forgotten tasks leave from the front (``dropForgotten(keeping:)``).
    private(set) var keys = Deque<UInt64>()
    /// Keys of tasks that had not finished when last looked at, oldest first: the first unfinished one bounds an
    /// attached client's cursor (``lowestUnfinished(isFinished:)``).
    private var unfinishedKeys = Deque<UInt64>()
    /// How many tasks the session has had, duplicates not counted.
    private(set) var taskCount: UInt64 = 0
    /// How many of them have not finished.
    var unfinished: UInt64 = 0
    /// The key of the session's newest task; 0 before the first.
    private(set) var lastKey: UInt64 = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.name = BatchName.display(bytes)
    }

    /// Notes a task of the session, unfinished unless `finished`; keys must grow. Recovery calls it for each task
    /// it restores, in key order.
    func track(_ key: UInt64, finished: Bool = false) {
        precondition(key > lastKey, "a session's task keys must grow")
        lastKey = key
        taskCount += 1
        keys.append(key)
        if !finished {
            unfinished += 1
            unfinishedKeys.append(key)
        }
    }

    /// Counts `count` finished tasks of the session that the journal holds and memory does not, the newest with
    /// key `newest`: the session's later tasks have larger keys, and an attached client's replay reaches these.
    func noteJournaled(count: UInt64, lastKey newest: UInt64) {
        taskCount += count
        lastKey = max(lastKey, newest)
    }

    /// The key of the oldest task that has not finished, or `nil` when all have; `isFinished` says whether a key's
    /// task has finished (true for a task the broker has forgotten, since it forgets only finished ones).
    func lowestUnfinished(isFinished: (UInt64) -> Bool) -> UInt64? {
        while let first = unfinishedKeys.first, isFinished(first) {
            unfinishedKeys.removeFirst()
        }
        return unfinishedKeys.first
    }

    /// Drops the keys of forgotten tasks from the front of ``keys``; `isHeld` says whether the broker holds a key's
    /// task.
    func dropForgotten(keeping isHeld: (UInt64) -> Bool) {
        while let first = keys.first, !isHeld(first) {
            keys.removeFirst()
        }
    }

    /// The index in ``keys`` of the first key above `key`.
    func firstIndex(after key: UInt64) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] <= key {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// The attachment of `peer`, if it is attached to this session.
    func attachment(of peer: PeerID) -> Attachment? {
        attachments.first { $0.peer == peer }
    }
}

/// Where a batch client session is reachable now (its peer changes when the client reconnects).
struct ClientSession: Sendable {
    var peer: PeerID
    var framing: Framing
    /// Result output bytes sent to ``peer`` since it last sent something (``BrokerConfiguration/unreadResultBytes``).
    var unread = 0
}
