import Testing

@testable import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The wrapper over real libzmq sockets, inproc and loopback TCP, with no broker logic.
@Suite struct SocketRoundTripTests {
    let context: Context

    init() throws {
        context = try Context()
    }

    /// A connected DEALER → ROUTER pair on `endpoint` (a wildcard TCP port is resolved).
    func pair(_ endpoint: String, routingID: [UInt8]? = nil) throws -> (dealer: Socket, router: Socket) {
        let router = try Socket(context: context, type: .router)
        try router.bind(endpoint)
        let dealer = try Socket(context: context, type: .dealer)
        if let routingID { try dealer.setRoutingID(routingID) }
        try dealer.connect(try router.lastEndpoint())
        return (dealer, router)
    }

    func receive(_ socket: Socket, within timeout: Duration = .seconds(5)) throws -> Multipart? {
        let poller = Poller()
        poller.add(socket)
        guard try poller.poll(timeout: timeout) > 0 else { return nil }
        return try socket.receive(blocking: false)
    }

    @Test(
        "carries multipart messages with empty and large frames both ways",
        arguments: ["inproc://round-trip", "tcp://127.0.0.1:*"])
    func roundTrip(endpoint: String) throws {
        let (dealer, router) = try pair(endpoint, routingID: Array("worker-1".utf8))
        defer {
            dealer.close()
            router.close()
        }
        let large = [UInt8](repeating: 0xab, count: 1 << 20)
        #expect(try dealer.send([[], Array("MDPW02".utf8), [0x01], large]))
        let received = try #require(try receive(router))
        #expect(received == [Array("worker-1".utf8), [], Array("MDPW02".utf8), [0x01], large])
        #expect(try router.send([Array("worker-1".utf8), [], [0x05]]))
        #expect(try receive(dealer) == [[], [0x05]])
    }

    @Test("sends from a ROUTER with the routing id given apart from the message")
    func routedSend() throws {
        let (dealer, router) = try pair("inproc://routed", routingID: Array("worker-2".utf8))
        defer {
            dealer.close()
            router.close()
        }
        #expect(try dealer.send([[0x01]]))
        #expect(try receive(router) == [Array("worker-2".utf8), [0x01]])
        #expect(
            try router.send([[], Array("MDPW02".utf8), [0x05]], routingID: Array("worker-2".utf8), blocking: false))
        #expect(try receive(dealer) == [[], Array("MDPW02".utf8), [0x05]])
        try router.setRouterMandatory(true)
        #expect {
            try router.send([[1]], routingID: Array("ghost".utf8), blocking: false)
        } throws: { error in
            (error as? ZeroMQError)?.code == .hostUnreachable
        }
    }

    @Test("reports the port a wildcard TCP bind chose")
    func lastEndpoint() throws {
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(Int(endpoint.split(separator: ":").last ?? "") ?? 0 > 0)
    }

    @Test("returns nil from a non-blocking receive when nothing waits")
    func emptyReceive() throws {
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.connect("inproc://nobody-home")
        #expect(try socket.receive(blocking: false) == nil)
    }

    @Test("fails a send to an unknown peer with hostUnreachable when ROUTER_MANDATORY is set")
    func routerMandatory() throws {
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        try router.setRouterMandatory(true)
        try router.bind("inproc://mandatory")
        #expect {
            try router.send([Array("ghost".utf8), [1]], blocking: false)
        } throws: { error in
            (error as? ZeroMQError)?.code == .hostUnreachable
        }
    }

    @Test("fails a malformed endpoint with a typed, described error")
    func malformedEndpoint() throws {
        let socket = try Socket(context: context, type: .router)
        defer { socket.close() }
        let error = try #require(throws: ZeroMQError.self) { try socket.bind("nonsense") }
        #expect(error.code == .invalidArgument)
        #expect(error.errno == EINVAL)
        #expect(error.description.hasPrefix("zmq_bind(nonsense): "))
    }

    @Test("fails a second bind to the same port with addressInUse")
    func addressInUse() throws {
        let first = try Socket(context: context, type: .router)
        let second = try Socket(context: context, type: .router)
        defer {
            first.close()
            second.close()
        }
        try first.bind("tcp://127.0.0.1:*")
        let error = try #require(throws: ZeroMQError.self) { try second.bind(try first.lastEndpoint()) }
        #expect(error.code == .addressInUse)
    }

    @Test("polls with a timeout and wakes for a readable pipe")
    func pollerWithPipe() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        defer {
            close(descriptors[0])
            close(descriptors[1])
        }
        let poller = Poller()
        let item = poller.add(fileDescriptor: descriptors[0])
        #expect(try poller.poll(timeout: .milliseconds(20)) == 0)
        #expect(!poller.isReadable(item))
        var byte: UInt8 = 1
        #expect(write(descriptors[1], &byte, 1) == 1)
        #expect(try poller.poll(timeout: .seconds(5)) == 1)
        #expect(poller.isReadable(item))
    }
}
