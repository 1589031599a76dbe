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
    /// Where the session's client is reachable now; `nil` for a session no client submitted over the wire (the HTTP
    /// gateway's batches), whose results stay in the task table.
    var client: ClientSession?
    /// Results finished during the current event, sent as one RESULT message when the event's actions are taken.
    var outgoing: [TaskResult] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.name = BatchName.display(bytes)
    }
}

/// Where a batch client session is reachable now (its peer changes when the client reconnects).
struct ClientSession: Sendable {
    var peer: PeerID
    var framing: Framing
}
