/// When a durable broker may leave a pass's journal records uncommitted for a moment, so that they share a later
/// pass's commit.
///
/// A pass whose only waiting replies are acknowledgements need not commit at once: the ``ClientOutbox`` holds an
/// acknowledgement for ``ClientOutbox/acknowledgementDelay`` anyway, in the hope that the task's result comes first and
/// carries it. A quick task's result comes in a later pass, which has to commit: waiting for it, the task's
/// acceptance, its attempt's start and its end are written in one commit instead of two. With `--journal-sync full`
/// that is one sync a task instead of two for a client with a task in flight.
///
/// Nothing is promised before the commit: the acknowledgements wait with the records, and a broker that dies
/// meanwhile has told no client it has its tasks (a worker may have run one, as it may in any crash: delivery is at
/// least once). Records are left only while few (a lightly loaded broker), and for at most ``limit``; a pass with a
/// result, a stream, an HTTP receipt or more than ``maxRecords`` records commits everything left before it.
///
/// A value used by the broker loop's thread only; it reads no clock, so its rules are tested with given instants.
struct CommitDeferral {
    /// The longest records wait: well under the acknowledgement delay, so acknowledgements leave about as before.
    static let limit: Duration = .milliseconds(2)
    /// The most records left uncommitted.
    static let maxRecords = 64

    /// When the oldest uncommitted pass ended, while records wait.
    private(set) var since: ContinuousClock.Instant?

    /// When the waiting records must be committed, if any wait.
    var deadline: ContinuousClock.Instant? { since.map { $0 + Self.limit } }

    /// Decides at the end of a pass, at `now`, whether the `records` pending (those of this pass and of any pass left
    /// before it) wait for a later commit.
    ///
    /// - Parameter onlyAcknowledgements: whether every reply waiting for those records is an acknowledgement; asked
    ///   only when the other rules allow waiting.
    /// - Returns: `true` when they wait; `false` when they must be committed now.
    mutating func defers(
        records: Int,
        onlyAcknowledgements: @autoclosure () -> Bool,
        at now: ContinuousClock.Instant
    ) -> Bool {
        let start = since ?? now
        guard records <= Self.maxRecords, now < start + Self.limit, onlyAcknowledgements() else {
            since = nil
            return false
        }
        since = start
        return true
    }
}
