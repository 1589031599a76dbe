import ArgumentParser
import Corsair
import ZeroMQ

/// `corsair-bench peer`: the processes the bench starts besides Corsair's own, namely the baseline's proxy and echo
/// workers and plain MDP/0.2 echo workers. Hidden from help; each runs until it is terminated.
struct PeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer", abstract: "A process corsair-bench starts (internal).", shouldDisplay: false)

    enum Role: String, ExpressibleByArgument, CaseIterable {
        /// `zmq_proxy` from a ROUTER bound at the first endpoint to a DEALER bound at the second.
        case proxy
        /// A DEALER that sends every message back as it came: a worker behind the proxy.
        case rawEcho = "raw-echo"
        /// A plain MDP/0.2 worker (one request at a time, no Corsair extension) that echoes the body.
        case mdpEcho = "mdp-echo"
        /// `--count` plain MDP/0.2 workers on one thread that register and only heartbeat, every second.
        case idleWorkers = "idle-workers"
    }

    @Argument var role: Role
    @Argument var endpoints: [String]
    @Option var category = "bench"
    @Option var count = 1

    func validate() throws {
        if role == .proxy {
            guard endpoints.count == 2 else { throw ValidationError("proxy needs a frontend and a backend endpoint") }
        } else {
            guard endpoints.count == 1 else { throw ValidationError("\(role.rawValue) needs one endpoint") }
        }
    }

    /// Serves the role on a socket thread named `bench-peer`, which owns every socket of the role.
    func run() async throws {
        try BenchCommand.raiseSocketLimit()
        try await SocketThread.run(named: "bench-peer") { sockets in
            try serve(sockets)
        }
    }

    /// Opens the role's sockets from `sockets` and serves until the process is terminated.
    private func serve(_ sockets: ThreadSockets) throws {
        switch role {
        case .proxy:
            let frontend = try sockets.open(.router, LoadGenerator.socketSetup)
            let backend = try sockets.open(.dealer, LoadGenerator.socketSetup)
            try frontend.bind(endpoints[0])
            try backend.bind(endpoints[1])
            try proxy(frontend: frontend, backend: backend)
        case .rawEcho:
            let socket = try connectedDealer(sockets)
            while let frames = try socket.receive() {
                try socket.send(frames)
            }
        case .mdpEcho:
            try serveMDP(try connectedDealer(sockets))
        case .idleWorkers:
            try idle(try (0..<count).map { _ in try connectedDealer(sockets) })
        }
    }

    /// A DEALER connected to the one endpoint, with no high-water marks.
    private func connectedDealer(_ sockets: ThreadSockets) throws -> Socket {
        let socket = try sockets.open(.dealer, LoadGenerator.socketSetup)
        try socket.connect(endpoints[0])
        return socket
    }

    /// READY on every socket, then a HEARTBEAT on each every second; whatever the broker sends is read and dropped.
    private func idle(_ sockets: [Socket]) throws {
        let header = MDP.workerHeader
        let poller = Poller()
        for socket in sockets {
            try socket.send([[], header, [MDP.WorkerCommand.ready.rawValue], Array(category.utf8)])
            _ = poller.add(socket)
        }
        var nextHeartbeat = ContinuousClock.now + .seconds(1)
        while true {
            _ = try poller.poll(timeout: nextHeartbeat - .now)
            for (index, socket) in sockets.enumerated() where poller.isReadable(index) {
                while try socket.receive(blocking: false) != nil {}
            }
            if ContinuousClock.now >= nextHeartbeat {
                for socket in sockets {
                    try socket.send([[], header, [MDP.WorkerCommand.heartbeat.rawValue]])
                }
                nextHeartbeat = nextHeartbeat + .seconds(1)
            }
        }
    }

    /// READY, then echo each REQUEST as a FINAL, heartbeating every second, as any MDP/0.2 worker would.
    private func serveMDP(_ socket: Socket) throws {
        let header = MDP.workerHeader
        try socket.send([[], header, [MDP.WorkerCommand.ready.rawValue], Array(category.utf8)])
        let poller = Poller()
        let item = poller.add(socket)
        var lastSent = ContinuousClock.now
        while true {
            _ = try poller.poll(timeout: .seconds(1))
            if poller.isReadable(item) {
                while let frames = try socket.receive(blocking: false) {
                    // [delimiter, MDPW02, REQUEST, envelope, empty, body…]
                    guard frames.count >= 6, frames[2] == [MDP.WorkerCommand.request.rawValue] else { continue }
                    try socket.send([[], header, [MDP.WorkerCommand.final.rawValue], frames[3], []] + frames[5...])
                    lastSent = .now
                }
            }
            if ContinuousClock.now - lastSent >= .seconds(1) {
                try socket.send([[], header, [MDP.WorkerCommand.heartbeat.rawValue]])
                lastSent = .now
            }
        }
    }
}
