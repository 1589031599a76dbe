/// The version of the Majordomo Protocol a plain MDP peer speaks, to answer it in: MDP/0.1 (ZeroMQ RFC 7, `MDPC01` and
/// `MDPW01`) or MDP/0.2 (RFC 18, `MDPC02` and `MDPW02`).
public enum MDPVersion: Sendable, Hashable, CustomStringConvertible {
    /// MDP/0.1, RFC 7: one reply per request, workers take one request at a time, no extensions.
    case v01
    /// MDP/0.2, RFC 18, and Corsair's extensions on top of it.
    case v02

    /// The protocol header of a worker command in this version.
    var workerHeader: [UInt8] { self == .v01 ? MDP.workerHeader01 : MDP.workerHeader }

    /// `mdp/0.1` or `mdp/0.2`, as `corsair workers` lists a plain worker's protocol.
    public var description: String { self == .v01 ? "mdp/0.1" : "mdp/0.2" }
}
