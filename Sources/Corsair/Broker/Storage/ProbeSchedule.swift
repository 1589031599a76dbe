/// When the broker probes its workers after its ROUTER lost a connection (`BrokerStateMachine+Probes`).
///
/// A lost connection names no peer, so a probe round heartbeats every worker: the dead one's send fails and it is
/// dropped. Each lost connection asks for a round at once and for one more at least ``followUp`` later, because the
/// ROUTER may not have dropped the peer's pipe yet when the event arrives. Rounds are at least
/// ``spacing(workers:)`` apart, so a storm of lost connections (clients come and go all the time) costs one round a
/// spacing, not one a connection: requests that arrive while a round is due are folded into it.
///
/// A value held by ``BrokerStateMachine``; it reads no clock, so its rules are tested with given instants.
struct ProbeSchedule {
    /// How long after a lost connection the follow-up round comes.
    static let followUp = Duration.milliseconds(5)
    /// How much the least spacing between rounds grows with each worker: a round sends one heartbeat a worker, so
    /// however many disconnects arrive, probes cost at most one heartbeat per 50 µs (20 000 a second).
    static let spacingPerWorker = Duration.microseconds(50)

    /// When the next round is due; `nil` when none is asked for.
    private(set) var due: ContinuousClock.Instant?
    /// The latest instant a round is owed at or after, by the lost connections since the last round was scheduled.
    private var owed: ContinuousClock.Instant?
    /// When the last round ran.
    private var lastRound: ContinuousClock.Instant?

    /// The least time between two rounds with `workers` workers to probe: ``followUp``, or more with many workers.
    static func spacing(workers: Int) -> Duration {
        max(followUp, spacingPerWorker * workers)
    }

    /// Notes a lost connection at `now`: a round is due at once (or as soon as the spacing allows) and another at
    /// least ``followUp`` later.
    mutating func connectionLost(at now: ContinuousClock.Instant, workers: Int) {
        owed = max(owed ?? now, now + Self.followUp)
        if due == nil {
            due = max(now, lastRound.map { $0 + Self.spacing(workers: workers) } ?? now)
        }
    }

    /// Whether a round is due at `now`. If so, the round counts as done and the next one is scheduled: the latest
    /// follow-up still owed, no sooner than the spacing allows.
    mutating func takeRound(at now: ContinuousClock.Instant, workers: Int) -> Bool {
        guard let due, now >= due else { return false }
        lastRound = now
        if let owed, owed > now {
            self.due = max(owed, now + Self.spacing(workers: workers))
        } else {
            self.due = nil
        }
        owed = nil
        return true
    }
}
