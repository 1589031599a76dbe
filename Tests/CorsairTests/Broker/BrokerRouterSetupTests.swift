import Testing
import ZeroMQ

@testable import Corsair

/// The options of the broker's ROUTER that no state machine test sees.
@Suite struct BrokerRouterSetupTests {
    @Test("the broker's ROUTER queues thousands of connections for accept, not libzmq's 100")
    func backlog() throws {
        let context = try Context()
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        #expect(try router.backlog() == 100, "libzmq's default, which the broker must not keep")
        try SocketSetup.brokerRouter(maxMessageSize: 1 << 20).apply(to: router)
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.backlog() == SocketSetup.brokerBacklog)
        #expect(SocketSetup.brokerBacklog >= 4096)
    }
}
