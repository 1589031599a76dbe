/// Corsair's batch client protocol, `CRSC01`: what `corsair submit` speaks to the broker.
///
/// A plain MDP client never sees it: a client chooses it by sending `CRSC01` as the protocol header. The client names
/// a session (any 1…64 bytes, stable across reconnects) and its own task ids; the broker acknowledges each SUBMIT with
/// ACCEPTED (and REJECTED for tasks it refuses) and streams one RESULT per task as it finishes. A task id resubmitted
/// in the same session is acknowledged again but not queued again. While it waits, the client sends PING and the
/// broker answers PONG, saying whether it knows the session; a broker that does not (it restarted) gets the unfinished
/// tasks again (Lazy Pirate). A client may instead ATTACH to a session by name, from any host, and be sent its
/// results with the broker's task keys (STREAM), resuming after a cursor when it reconnects; against a durable
/// broker that is how `corsair submit` and `corsair wait` follow a batch. Frame layouts are in docs/PROTOCOL.md.
public enum ClientProtocol {
    /// Frame 0 (after an optional empty delimiter) of every message: `CRSC01`.
    public static let header: [UInt8] = Array("CRSC01".utf8)
    /// The most tasks one SUBMIT may carry; the client splits larger batches.
    public static let maximumTasksPerSubmit = 10_000

    /// Command bytes, frame 1.
    public enum Command: UInt8, Sendable, Hashable {
        /// Client to broker: session, then one frame holding every task.
        case submit = 0x01
        /// Client to broker: session. The client is waiting and wants to know the broker is alive.
        case ping = 0x02
        /// Client to broker: a JSON ``BrokerQuery``; the broker answers REPORT.
        case query = 0x03
        /// Client to broker: session, then the cursor (`u64`) and ``AttachOptions`` (`u8`). The broker answers
        /// ATTACHED, then STREAMs the session's results with larger keys: those already finished first, in key order
        /// and by pages (the client asks for each next page with MORE), then the rest as they finish.
        case attach = 0x04
        /// Client to broker: session. Sends the next page of the replay.
        case more = 0x05
        /// Client to broker: a JSON ``CancelRequest``; the broker answers REPORT with a ``CancelReport``.
        case cancel = 0x08
        /// Client to broker: a JSON ``ShutdownRequest``; the broker answers REPORT with a ``ShutdownReport``.
        case shutdown = 0x09
        /// Broker to client: one frame of the ids it accepted (or already had).
        case accepted = 0x11
        /// Broker to client: id and reason frame pairs for tasks it refused.
        case rejected = 0x12
        /// Broker to client: one frame holding one or more finished tasks.
        case result = 0x13
        /// Broker to client: answer to PING; frame 2 is one byte, 1 when the broker knows the session, else 0.
        case pong = 0x14
        /// Broker to client: answer to QUERY; frame 2 is JSON (a ``BrokerStatus`` or an array of ``TaskStatus``).
        case report = 0x15
        /// Broker to client: answer to ATTACH; frame 2 is ``BrokerFlags`` (`u8`), the batch's tasks (`u64`) and how
        /// many are unfinished (`u64`).
        case attached = 0x16
        /// Broker to client: results of an attached session with their keys, and the client's ``StreamProgress``.
        case stream = 0x17
        /// Broker to client: the message could not be understood; frame 2 says why.
        case error = 0x1f
    }
}

/// `0x09`-style rendering of a command byte.
func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0f)])
}
