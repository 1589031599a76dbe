/// What a durable broker's machine asks its driver to read from the journal before it takes a client's message:
/// the ids of a session's tasks that memory no longer holds, or the results of some of them.
public enum JournalLookup: Sendable, Hashable {
    /// The finished task ids of `session` that the journal holds with keys above `after`, a slice at a time (the
    /// broker goes on serving between slices); `create` makes the session when memory has none, even if the journal
    /// holds none either (a SUBMIT, an ATTACH that creates).
    case ids(session: [UInt8], create: Bool, after: UInt64)
    /// The results of the tasks of `session` with `keys`, whose ids a submission repeats.
    case results(session: [UInt8], keys: [UInt64])
}

/// A client's message held back while the driver reads what ``JournalLookup`` asks for; the driver hands it back
/// with ``BrokerStateMachine/lookedUp(_:at:)``.
public struct PendingMessage: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case submit(specs: [TaskSpec])
        case attach(cursor: UInt64, options: AttachOptions)
    }

    let kind: Kind
    let session: [UInt8]
    let framing: Framing
    let peer: PeerID
}
