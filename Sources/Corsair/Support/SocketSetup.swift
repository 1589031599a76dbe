package import ZeroMQ

/// The options of a Corsair socket: every socket the project opens is configured here, so a setting every socket
/// needs (IPv6 today, CURVE keys next) is added once.
package struct SocketSetup: Sendable {
    /// How long unsent messages may delay the process's exit after the socket closes.
    package var linger: Duration = .zero
    /// A ROUTER's sends to a peer it does not know fail instead of vanishing.
    package var routerMandatory = false
    /// The send and receive queue limits per peer, in messages; `nil` keeps libzmq's 1 000.
    package var highWaterMark: Int?
    /// Frames over this many bytes make libzmq drop the sender's connection; `nil` is no limit.
    package var maxMessageSize: Int?
    /// Connections the kernel holds for a bound endpoint until libzmq accepts them; `nil` keeps libzmq's 100.
    package var backlog: Int?
    /// CURVE server: the broker's key pair (`--curve-secret-key`); every peer must then speak CURVE.
    package var curveServer: CurveKeyPair?
    /// CURVE client: the broker's public key and this peer's key pair (`--curve-server-key`, `--curve-key`).
    package var curveClient: CurveClientKeys?

    /// A DEALER of a worker or client: no linger, libzmq's queue limits.
    package static let dealer = SocketSetup()

    /// A DEALER of a worker or client, a CURVE client of the broker when `curve` is given.
    package static func dealer(curve: CurveClientKeys?) -> SocketSetup {
        SocketSetup(curveClient: curve)
    }

    /// The ZAP handler's REP socket and the monitors' PAIR sockets: inproc, no linger.
    package static let inproc = SocketSetup()

    /// The broker ROUTER's ``backlog``. Thousands of workers connect at once when a fleet starts or a broker
    /// restarts; with libzmq's 100 the kernel dropped most of their SYNs, and they, and any client connecting
    /// meanwhile, retried after 1, 3, 7… s: under `corsair-bench --idle-workers 5000` 4 295 workers had registered
    /// after 25 s, against all 5 000 within 3 s with 4 096 (docs/PERFORMANCE.md). Linux caps it at
    /// `net.core.somaxconn`, 4 096 by default since 5.4.
    package static let brokerBacklog = 4096

    /// The broker's ROUTER.
    ///
    /// - Parameters:
    ///   - maxMessageSize: the broker's `--max-message-size`. The state machine counts and answers messages
    ///   over it; libzmq drops only a frame so large that reading it would cost more memory than twice the limit,
    ///   together with its sender's connection.
    ///   - curve: the broker's key pair under `--curve-secret-key`, which makes the ROUTER a CURVE server.
    package static func brokerRouter(maxMessageSize: Int, curve: CurveKeyPair? = nil) -> SocketSetup {
        SocketSetup(
            linger: .milliseconds(100), routerMandatory: true, highWaterMark: 100_000,
            maxMessageSize: maxMessageSize * 2, backlog: brokerBacklog, curveServer: curve)
    }

    /// Applies every option to `socket`, IPv6 first: it must be on before a bind or connect names an IPv6 endpoint.
    package func apply(to socket: Socket) throws(ZeroMQError) {
        try socket.setIPv6(true)
        try socket.setLinger(linger)
        if routerMandatory {
            try socket.setRouterMandatory(true)
        }
        if let highWaterMark {
            try socket.setSendHighWaterMark(highWaterMark)
            try socket.setReceiveHighWaterMark(highWaterMark)
        }
        if let maxMessageSize {
            try socket.setMaxMessageSize(maxMessageSize)
        }
        if let backlog {
            try socket.setBacklog(backlog)
        }
        if let curveServer {
            try socket.setCurveServer(true)
            try socket.setCurveSecretKey(curveServer.secretKey)
        }
        if let curveClient {
            try socket.setCurveServerKey(curveClient.serverKey)
            try socket.setCurvePublicKey(curveClient.keyPair.publicKey)
            try socket.setCurveSecretKey(curveClient.keyPair.secretKey)
        }
    }
}
