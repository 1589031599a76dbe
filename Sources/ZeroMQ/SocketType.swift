internal import CZeroMQ

/// The ZeroMQ socket types Corsair uses.
public enum SocketType: Sendable, Hashable, CaseIterable {
    case router, dealer, pair, req, rep, pub, sub, push, pull

    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        }
    }
}
