import Dispatch
import Foundation
import PostgresNIO
import Synchronization

/// Which of the brokers that share a PostgreSQL journal is the active one: a lease row with an expiry on the
/// database's clock and an epoch, the fencing token.
///
/// A broker becomes active by taking the lease once it has expired (or was released), which adds one to the epoch;
/// it renews it every quarter of its duration, on a connection of its own. Every commit and fold names the epoch it
/// holds and locks the lease row while it writes (`FOR KEY SHARE`, which a renewal's UPDATE does not wait for), so a
/// broker deposed by a takeover cannot write: its statement finds another epoch, and a takeover, which locks the row
/// `FOR UPDATE`, waits for any write still in flight. A broker that cannot renew
/// stops counting itself active three quarters of a lease after its last renewal was sent, before any other broker
/// can take over, however long its link takes to fail.
///
/// A lease row rather than an advisory lock: PostgreSQL releases a session's lock only once it notices the session is
/// gone, two hours later by TCP's defaults on a cut link, and an advisory lock gives no token to fence writes with.
final class PostgresLease: Sendable {
    /// Where this broker stands.
    enum Standing: Sendable {
        /// Not holding the lease (yet).
        case standby
        /// Holding the lease of `epoch`, counted as held until `until`.
        case active(epoch: Int64, until: ContinuousClock.Instant)
        /// Held it once and lost it, for `reason`.
        case deposed(String)
    }

    private let session: PostgresSession
    private let schema: String
    private let location: String
    /// How long a taken or renewed lease lasts.
    let duration: Duration
    private let standing = Mutex(Standing.standby)
    private let stopping = Mutex(false)
    /// Whether the renewal thread was started and not yet joined.
    private let renewing = Mutex(false)
    /// Wakes the renewal thread early, to stop.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled by the renewal thread as it ends.
    private let renewerDone = DispatchSemaphore(value: 0)

    init(session: PostgresSession, schema: String, location: String, duration: Duration) {
        self.session = session
        self.schema = schema
        self.location = location
        self.duration = duration
    }

    /// Takes the lease if it is free or has expired, naming this broker `name` at `endpoints`; throws ``Held``, with
    /// who holds it, when another broker does.
    ///
    /// A standby reads the row without locking it, so that it never holds the lease across a round trip, and takes
    /// it over only once it has lapsed, in one statement that locks the row `FOR UPDATE`: that waits for every fenced
    /// write still in flight (the journal's commits and folds), so that once the new epoch is committed no write of an earlier one can
    /// land, and checks the expiry again once it has the row.
    func acquire(name: String, endpoints: String) throws {
        let row = try session.run(
            "SELECT holder, endpoints, expires <= clock_timestamp() FROM \(unescaped: schema).lease WHERE id = 1"
        ).first
        guard let (holder, at, lapsed) = try row?.decode((String, String, Bool).self) else {
            throw JournalError(.corrupt, path: location, "the journal's lease row is missing")
        }
        let taken = LeaseHolder(name: holder, endpoints: at)
        guard lapsed else { throw Held(holder: taken) }
        let sent = ContinuousClock.now
        let epoch = try session.run(
            """
            WITH lapsed AS (
                SELECT id FROM \(unescaped: schema).lease WHERE id = 1 AND expires <= clock_timestamp() FOR UPDATE)
            UPDATE \(unescaped: schema).lease l SET epoch = l.epoch + 1, holder = \(name), endpoints = \(endpoints),
                expires = clock_timestamp() + \(milliseconds) * interval '1 millisecond'
            FROM lapsed WHERE l.id = lapsed.id RETURNING l.epoch
            """
        ).first?.decode(Int64.self)
        // Another standby took it over between the two statements.
        guard let epoch else { throw Held(holder: taken) }
        standing.withLock { $0 = .active(epoch: epoch, until: sent + duration * 0.75) }
    }

    /// Thrown by ``acquire(name:endpoints:)`` when another broker holds the lease.
    struct Held: Error {
        let holder: LeaseHolder
    }

    /// The epoch this broker holds the lease in.
    ///
    /// - Throws: ``JournalError`` with ``JournalError/Kind/deposed`` when it does not hold the lease, or can no longer
    ///   count on holding it.
    func epoch() throws(JournalError) -> Int64 {
        let current = standing.withLock { $0 }
        switch current {
        case .active(let epoch, let until) where ContinuousClock.now < until:
            return epoch
        case .active:
            let reason = "the lease was not renewed in time: the database did not answer"
            depose(reason)
            throw JournalError(.deposed, path: location, reason)
        case .standby:
            throw JournalError(.deposed, path: location, "this broker does not hold the lease")
        case .deposed(let reason):
            throw JournalError(.deposed, path: location, reason)
        }
    }

    /// Notes that another broker holds the lease now: nothing more is written through this one.
    func depose(_ reason: String) {
        standing.withLock { standing in
            if case .deposed = standing { return }
            standing = .deposed(reason)
        }
    }

    /// Renews the lease every quarter of its duration on a thread of its own, until ``release()`` or until it is lost.
    func startRenewing() {
        let thread = Thread { [self] in
            defer { renewerDone.signal() }
            let interval = Double(duration / .milliseconds(1)) / 4000
            while wake.wait(timeout: .now() + interval) == .timedOut, !stopping.withLock({ $0 }) {
                guard let epoch = try? epoch() else { return }
                renew(epoch)
            }
        }
        thread.name = "journal-lease"
        renewing.withLock { $0 = true }
        thread.start()
    }

    private func renew(_ epoch: Int64) {
        let sent = ContinuousClock.now
        do {
            let rows = try session.run(
                """
                UPDATE \(unescaped: schema).lease
                SET expires = clock_timestamp() + \(milliseconds) * interval '1 millisecond'
                WHERE id = 1 AND epoch = \(epoch) RETURNING epoch
                """)
            guard !rows.isEmpty else {
                return depose("another broker took the lease over (epoch \(epoch) ended)")
            }
            standing.withLock { standing in
                guard case .active(epoch, _) = standing else { return }
                standing = .active(epoch: epoch, until: sent + duration * 0.75)
            }
        } catch {
            // Tried again next round; past its expiry the lease counts as lost (``epoch()``).
        }
    }

    /// Stops renewing, waiting for a renewal under way, and lets the lease go at once, so a standby takes over without
    /// waiting for it to expire.
    func release() {
        stopping.withLock { $0 = true }
        if renewing.withLock({ $0 }) {
            wake.signal()
            renewerDone.wait()
            renewing.withLock { $0 = false }
        }
        let current = standing.withLock { $0 }
        guard case .active(let epoch, _) = current else { return }
        depose("released")
        _ = try? session.run(
            "UPDATE \(unescaped: schema).lease SET expires = clock_timestamp() WHERE id = 1 AND epoch = \(epoch)")
    }

    /// Closes the lease's connection.
    func close() {
        session.close()
    }

    private var milliseconds: Int64 { Int64(duration / .milliseconds(1)) }
}

/// Who holds a shared journal's lease, as a broker that does not sees it.
public struct LeaseHolder: Sendable, Equatable {
    /// The holder's host and pid.
    public var name: String
    /// The endpoints it listens on.
    public var endpoints: String
}
