import Logging

/// The broker I/O thread's role check under CURVE with allow lists: a READY needs a key allowed as a worker, a
/// client message a key allowed as a client. The ZAP handler has already refused keys allowed in neither role;
/// this sees only authenticated connections, through the ``PeerIdentity`` each message carries as its `User-Id`.
///
/// Only the broker's CURVE path reads metadata and calls this; a plaintext broker pays nothing.
struct AccessGuard {
    /// What the guard decides about one message.
    enum Verdict {
        /// Hand it to the state machine; `identity` names the key, when the connection has one.
        case admit(PeerIdentity?)
        /// Drop it, answering `reply` when there is one, and count and log `reason`.
        case refuse(AuthMetrics.Reason, PeerIdentity?, reply: BrokerOutbound?)
    }

    /// The list in force; replaced on SIGHUP.
    var access: AccessList {
        didSet { known.removeAll() }
    }
    var throttle = RefusalThrottle()
    /// Each connection's identity and roles by its `User-Id`, so that a message costs one lookup instead of a parse
    /// and a fingerprint lookup (at W=1 that parse was a visible part of the broker's CURVE cost). Emptied when the
    /// list changes, and when it reaches ``knownLimit``.
    private var known: [String: (identity: PeerIdentity, roles: AccessList.Roles)] = [:]
    static let knownLimit = 4096

    /// Creates the guard for `access`.
    init(access: AccessList) {
        self.access = access
    }

    /// The verdict on `frames[start...]` (the message after its routing id) from a connection whose `User-Id` is
    /// `userID`.
    mutating func check(_ frames: [[UInt8]], from start: Int, userID: String?) -> Verdict {
        let (identity, roles) = identify(userID)
        guard frames.count > start else { return .admit(identity) }
        let base = start + (frames[start].isEmpty ? 1 : 0)
        guard frames.count > base + 1 else { return .admit(identity) }
        let framing: Framing = base > start ? .delimited : .rfc18
        switch frames[base] {
        case MDP.workerHeader, MDP.workerHeader01:
            guard frames[base + 1] == [MDP.WorkerCommand.ready.rawValue], !roles.contains(.worker) else {
                return .admit(identity)
            }
            let version: MDPVersion = frames[base] == MDP.workerHeader01 ? .v01 : .v02
            return .refuse(.notWorker, identity, reply: .disconnect(framing, version: version))
        case MDP.clientHeader, MDP.clientHeader01:
            return roles.contains(.client) ? .admit(identity) : .refuse(.notClient, identity, reply: nil)
        case ClientProtocol.header:
            guard !roles.contains(.client) else { return .admit(identity) }
            let name = identity.map { "'\($0.name)' (\($0.fingerprint))" } ?? "without a name"
            return .refuse(
                .notClient, identity,
                reply: .batch(framing, .error(AccessRefused.message(keyName: name))))
        default:
            return .admit(identity)
        }
    }

    /// The identity the ZAP handler wrote into `userID`, and the roles the list in force gives its key.
    private mutating func identify(_ userID: String?) -> (PeerIdentity?, AccessList.Roles) {
        guard let userID else { return (nil, []) }
        if let entry = known[userID] { return entry }
        guard let identity = PeerIdentity(userID: userID) else { return (nil, []) }
        let roles = access.roles(ofFingerprint: identity.fingerprint)
        if known.count >= Self.knownLimit {
            known.removeAll(keepingCapacity: true)
        }
        known[userID] = (identity, roles)
        return (identity, roles)
    }
}
