import Testing

@testable import ZeroMQ

/// The poller over real sockets: `ZMQ_FD` announces changes, not waiting messages, so these check that no message
/// waits unreported and that libzmq's other commands do not pass for messages.
@Suite struct PollerTests {
    let context: Context

    init() throws {
        context = try Context()
    }

    /// Runs `body` with a DEALER connected to a ROUTER over loopback TCP, and closes both afterwards.
    func withPair(_ body: (_ dealer: Socket, _ router: Socket) throws -> Void) throws {
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try Socket(context: context, type: .dealer)
        defer { dealer.close() }
        try dealer.connect(try router.lastEndpoint())
        try body(dealer, router)
    }

    @Test("reports each message of a burst when the reader takes one per poll")
    func burstOnePerPoll() throws {
        try withPair { dealer, router in
            for index in 0..<200 {
                try dealer.send([[UInt8(index)]])
            }
            let poller = Poller()
            let item = poller.add(router)
            for index in 0..<200 {
                #expect(try poller.poll(timeout: .seconds(5)) == 1)
                #expect(poller.isReadable(item))
                #expect(try router.receive(blocking: false)?.last == [UInt8(index)])
            }
            #expect(try poller.poll(timeout: .milliseconds(20)) == 0)
            #expect(!poller.isReadable(item))
        }
    }

    @Test("sees every reply of a ping-pong whose sends let libzmq take the descriptor's signals")
    func pingPong() throws {
        try withPair { dealer, router in
            let routerPoller = Poller()
            routerPoller.add(router)
            let dealerPoller = Poller()
            dealerPoller.add(dealer)
            var missed = 0
            for index in 0..<1000 {
                try dealer.send([withUnsafeBytes(of: UInt32(index)) { Array($0) }])
                guard try routerPoller.poll(timeout: .seconds(5)) == 1,
                    let request = try router.receive(blocking: false)
                else {
                    missed += 1
                    break
                }
                try router.send(request)
                guard try dealerPoller.poll(timeout: .seconds(5)) == 1,
                    let reply = try dealer.receive(blocking: false), reply == Array(request.dropFirst())
                else {
                    missed += 1
                    break
                }
            }
            #expect(missed == 0)
        }
    }

    @Test("does not count a socket readable when libzmq only set up a connection")
    func connectionIsNotInput() throws {
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.receive(blocking: false) == nil)
        let dealer = try Socket(context: context, type: .dealer)
        defer { dealer.close() }
        try dealer.connect(try router.lastEndpoint())
        let poller = Poller()
        let item = poller.add(router)
        #expect(try poller.poll(timeout: .milliseconds(200)) == 0)
        #expect(!poller.isReadable(item))
        try dealer.send([[0x2a]])
        #expect(try poller.poll(timeout: .seconds(5)) == 1)
        #expect(try router.receive(blocking: false)?.last == [0x2a])
    }
}
