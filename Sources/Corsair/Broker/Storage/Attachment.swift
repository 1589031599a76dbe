/// A client attached to a batch session (ATTACH): it is sent the session's results with their keys, those that had
/// finished when it attached first (the replay, in key order and by pages), then the rest as they finish. Only the
/// broker's state machine holds these.
final class Attachment {
    /// The peer that attached; an attachment lives as long as sends to it succeed.
    let peer: PeerID
    /// The framing of its ATTACH, to answer in.
    let framing: Framing
    /// Every result with a key up to this one that has finished has been sent (or was reported before the client
    /// attached, when it is the client's cursor): a result with a larger key that finishes now waits for the replay,
    /// which will reach it. `UInt64.max` once the replay has caught up and every result goes out as it finishes.
    var replayed: UInt64
    /// Results finished during the current event, sent as one STREAM message when the event's actions are taken.
    var outgoing: [KeyedResult] = []
    /// Result output bytes sent live to ``peer`` since it last sent something
    /// (``BrokerConfiguration/unreadResultBytes``).
    var unread = 0
    /// The lowest key of a result withheld from this attachment because its client was not reading, or `nil` when
    /// none is: the cursor stays below it, and the replay starts below it once the client sends again (`+Withhold`).
    var withheldFrom: UInt64?

    init(peer: PeerID, framing: Framing, after cursor: UInt64) {
        self.peer = peer
        self.framing = framing
        self.replayed = cursor
    }

    /// Whether the replay has caught up.
    var caughtUp: Bool { replayed == .max }
}
