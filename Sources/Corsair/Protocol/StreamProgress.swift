/// Where an attached client stands in its batch: sent with every STREAM message.
///
/// The ``cursor`` is the client's resume point: every task of the batch with a key up to it has finished and its
/// result has been sent on this attachment, in this message or an earlier one. A client that reconnects attaches
/// again after it and drops any result it has already reported with a larger key, so it holds the keys above the
/// cursor only, not the batch.
public struct StreamProgress: Sendable, Hashable {
    /// Every task with a key up to this one is finished and reported on this attachment.
    public var cursor: UInt64
    /// How many of the batch's tasks have not finished.
    public var unfinished: UInt64
    /// Every task of the batch has finished and every result has been sent: the client can stop.
    public var complete: Bool
    /// This message ends a page of the replay and more results finished before the attachment remain: the client
    /// asks for the next page with MORE.
    public var more: Bool

    /// Creates a progress report.
    public init(cursor: UInt64, unfinished: UInt64, complete: Bool, more: Bool) {
        self.cursor = cursor
        self.unfinished = unfinished
        self.complete = complete
        self.more = more
    }
}

/// The broker's answer to ATTACH.
public struct AttachStatus: Sendable, Hashable {
    /// Whether the broker knows the session (``BrokerFlags/sessionKnown``), and whether it is durable.
    public var flags: BrokerFlags
    /// How many tasks the batch has, finished or not, that the broker knows of.
    public var tasks: UInt64
    /// How many of them have not finished.
    public var unfinished: UInt64

    /// Creates an attach status.
    public init(flags: BrokerFlags, tasks: UInt64, unfinished: UInt64) {
        self.flags = flags
        self.tasks = tasks
        self.unfinished = unfinished
    }
}
