public import Corsair
import ZeroMQ

/// A batch client that submits and then never reads its socket, as a client stuck writing its output would: a raw
/// DEALER whose receive queue holds one message, so what the broker sends it piles up in the broker, not here. Used
/// by the test's thread only, which owns its socket.
public final class StalledClient {
    private let socket: Socket

    /// Connects to the broker at `endpoint`.
    public init(endpoint: String) throws {
        socket = try Socket(context: Context.shared, type: .dealer)
        try socket.setIPv6(true)
        try socket.setReceiveHighWaterMark(1)
        try socket.connect(endpoint)
    }

    deinit {
        socket.close()
    }

    /// Submits `tasks` in `session`, in SUBMITs of `perMessage` tasks.
    public func submit(_ tasks: [TaskSpec], session: [UInt8], perMessage: Int) throws {
        var start = 0
        while start < tasks.count {
            let end = min(start + perMessage, tasks.count)
            _ = try socket.send(ClientMessage.submit(session: session, tasks: Array(tasks[start..<end])).encoded)
            start = end
        }
    }
}
