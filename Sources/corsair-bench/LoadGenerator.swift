import Corsair
import Histogram
import ZeroMQ

/// Drives N echo round trips through an endpoint with at most W in flight and records each one's latency.
///
/// Each run opens its one DEALER socket on a socket thread of its own, named ``threadName``, which uses and closes it
/// there; the async caller only awaits the outcome.
struct LoadGenerator: Sendable {
    /// What the generator speaks to the endpoint.
    enum Wire: Sendable {
        /// Corsair's batch protocol: SUBMIT messages carrying every task the window has room for.
        case corsairBatch(category: String)
        /// Plain MDP/0.2 client REQUESTs, one task per message, many in flight on one socket.
        case mdpRequests(category: String)
        /// Bare messages through a `zmq_proxy` to echo workers: the baseline.
        case raw
    }

    /// What one run measured.
    struct Outcome: Sendable {
        /// From the first task sent to the last reply received.
        var elapsed: Duration
        /// Each task's round trip, in microseconds.
        var latencies: Histogram<UInt64>
        /// The tasks sent, all of which came back.
        var count: Int
    }

    let endpoint: String
    let wire: Wire
    let payloadSize: Int
    let window: Int
    /// The broker's public key and the generator's key pair, against a CURVE broker.
    var curve: CurveClientKeys? = nil
    /// Whether a run PINGs the broker and waits for its PONG before its timed span starts, so that connecting (the
    /// TCP and ZMTP handshakes, which libzmq holds the first SUBMIT behind) is not timed. Corsair's batch protocol only.
    var connectsFirst = false

    /// The name of the thread that owns a run's socket, as `top -H` and `perf` show it.
    static let threadName = "bench-load"

    /// The options of the generator's socket and of the bench's peers: no high-water marks, so the window is the only
    /// limit on what is queued.
    static let socketSetup: SocketSetup = {
        var setup = SocketSetup.dealer
        setup.highWaterMark = 0
        return setup
    }()

    /// Sends `count` tasks, keeping up to ``window`` in flight, and returns once every one has come back.
    func run(tasks count: Int) async throws -> Outcome {
        try await SocketThread.run(named: Self.threadName) { sockets in
            var run = WindowedRun(self, count: count, socket: try connectedSocket(sockets))
            return try run.complete()
        }
    }

    /// A DEALER connected to ``endpoint``, owned by the thread of `sockets` like `sockets` itself.
    func connectedSocket(_ sockets: ThreadSockets) throws -> Socket {
        var setup = Self.socketSetup
        setup.curveClient = curve
        let socket = try sockets.open(.dealer, setup)
        try socket.connect(endpoint)
        return socket
    }
}
