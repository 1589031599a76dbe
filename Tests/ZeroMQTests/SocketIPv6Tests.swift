import Testing

@testable import ZeroMQ

/// `ZMQ_IPV6`: IPv6 endpoints bind and connect, and IPv4 endpoints stay reported as IPv4.
@Suite struct SocketIPv6Tests {
    @Test("an IPv6 loopback endpoint fails with IPv6 off and carries a message with it on")
    func ipv6Loopback() throws {
        let context = try Context()
        let router = try Socket(context: context, type: .router)
        let dealer = try Socket(context: context, type: .dealer)
        defer {
            router.close()
            dealer.close()
        }
        #expect(throws: ZeroMQError.self) { try router.bind("tcp://[::1]:*") }
        try router.setIPv6(true)
        try dealer.setIPv6(true)
        try router.bind("tcp://[::1]:*")
        let endpoint = try router.lastEndpoint()
        #expect(endpoint.hasPrefix("tcp://[::1]:"))
        try dealer.connect(endpoint)
        try dealer.send([[1, 2, 3]])
        let poller = Poller()
        poller.add(router)
        #expect(try poller.poll(timeout: .seconds(5)) == 1)
        #expect(try router.receive(blocking: false)?.last == [1, 2, 3])
    }

    @Test("an IPv4 address bound with IPv6 on is reported as IPv4, not IPv4-mapped")
    func ipv4StaysIPv4() throws {
        let context = try Context()
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        try router.setIPv6(true)
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.lastEndpoint().hasPrefix("tcp://127.0.0.1:"))
    }

    @Test(
        "unmaps only IPv4-mapped TCP endpoints",
        arguments: [
            ("tcp://[::ffff:127.0.0.1]:5555", "tcp://127.0.0.1:5555"),
            ("tcp://[::1]:5555", "tcp://[::1]:5555"),
            ("tcp://[::ffff:7f00:1]:5555", "tcp://[::ffff:7f00:1]:5555"),
            ("ipc:///tmp/x", "ipc:///tmp/x"),
        ])
    func unmapping(endpoint: String, expected: String) {
        #expect(Socket.unmappingIPv4(endpoint) == expected)
    }
}
