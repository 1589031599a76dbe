/// Where a peer's message starts on a DEALER–ROUTER connection.
///
/// RFC 18 puts the protocol header in the first frame. Most MDP/0.2 implementations derived from the ZeroMQ Guide
/// (majortomo among them) send an empty delimiter frame first, as a REQ socket would. The broker accepts both, notes
/// which one each peer used, and answers in the same framing.
public enum Framing: Sendable, Hashable, CustomStringConvertible {
    /// The header is frame 0, as RFC 18 specifies.
    case rfc18
    /// An empty frame precedes the header, as the Guide's descendants send.
    case delimited

    /// Frames to put before the protocol header when sending in this framing.
    var prefix: [[UInt8]] { self == .delimited ? [[]] : [] }

    public var description: String { self == .rfc18 ? "rfc18" : "delimited" }
}

/// How a plain MDP client numbers its commands and shapes its replies.
public enum ClientDialect: Sendable, Hashable, CustomStringConvertible {
    /// RFC 18: REQUEST 0x01; the broker answers PARTIAL 0x02 and FINAL 0x03 with the service name in frame 2.
    case rfc18
    /// majortomo: REQUEST 0x02; the broker answers PARTIAL 0x03 and FINAL 0x04 with the body straight after the
    /// command, as majortomo's own broker does.
    case majortomo
    /// MDP/0.1 (RFC 7): the REQUEST has no command frame, the service name follows `MDPC01`; the broker answers once,
    /// with `MDPC01`, the service name and the body. MDP/0.1 has no partial replies, so the client is sent none.
    case mdp01

    /// The protocol version the dialect belongs to.
    public var version: MDPVersion { self == .mdp01 ? .v01 : .v02 }

    public var description: String {
        switch self {
        case .rfc18: "rfc18"
        case .majortomo: "majortomo"
        case .mdp01: "mdp01"
        }
    }
}
