/// When a batch client pings its broker: once it has sent nothing for a ping interval, or sooner, once it has received
/// ``acknowledgementBytes`` since it last sent, which tells the broker that the client reads (the broker withholds
/// results from a client that sends nothing for `--client-unread-bytes`). A value that ``BrokerLink`` keeps on the
/// client's thread.
struct PingSchedule {
    /// Bytes of replies after which the client pings the broker even when it pinged less than a second ago: well
    /// under the broker's default `--client-unread-bytes` (64 MiB), so a reading client is never held up.
    static let acknowledgementBytes = 8 << 20

    /// The ping interval (``BrokerLinkOptions/heartbeatInterval``).
    let interval: Duration
    /// When the client last sent something.
    private(set) var lastSent: ContinuousClock.Instant
    /// Bytes received since ``lastSent``.
    private(set) var receivedSinceSent = 0

    /// A schedule whose client sent last at `now` (it connected).
    init(interval: Duration, now: ContinuousClock.Instant) {
        self.interval = interval
        self.lastSent = now
    }

    /// The client received a message of `bytes`.
    mutating func received(_ bytes: Int) {
        receivedSinceSent += bytes
    }

    /// The client sent something at `now`: the next ping is an interval away, and the byte count starts afresh.
    mutating func sent(at now: ContinuousClock.Instant) {
        lastSent = now
        receivedSinceSent = 0
    }

    /// When a ping is due by time alone.
    var nextPing: ContinuousClock.Instant { lastSent + interval }

    /// Whether a ping is due at `now`: an interval passed since the client last sent, or it has received
    /// ``acknowledgementBytes`` since.
    func isDue(at now: ContinuousClock.Instant) -> Bool {
        now >= nextPing || receivedSinceSent >= Self.acknowledgementBytes
    }
}
