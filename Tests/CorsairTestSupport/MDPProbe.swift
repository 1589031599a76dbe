import Corsair
import ZeroMQ

/// A minimal RFC 18 client for tests: asks the broker's `mmi.service` whether a category has workers.
public enum MDPProbe {
    /// Whether the broker at `endpoint` has a worker for `category` (`mmi.service` answers 200).
    public static func hasWorkers(_ category: String, at endpoint: String) throws -> Bool {
        try mmiService(category, at: endpoint)?.first == "200"
    }

    /// The body frames of the broker's answer to `mmi.service` for `category`, as text: `200` or `404`, or from a
    /// standby `503` and what it says of itself; `nil` when no answer came within 2 seconds.
    public static func mmiService(_ category: String, at endpoint: String) throws -> [String]? {
        let socket = try Socket(context: Context.shared, type: .dealer)
        defer { socket.close() }
        try socket.setIPv6(true)
        try socket.connect(endpoint)
        try socket.send([
            MDP.clientHeader, [MDP.ClientCommand.request.rawValue], Array(MDP.mmiService.utf8), Array(category.utf8),
        ])
        let poller = Poller()
        poller.add(socket)
        guard try poller.poll(timeout: .seconds(2)) > 0, let reply = try socket.receive(blocking: false) else {
            return nil
        }
        // MDPC02, FINAL, the service, then the body.
        return reply.dropFirst(3).map { String(decoding: $0, as: UTF8.self) }
    }
}
