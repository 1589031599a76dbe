import Testing

@testable import ZeroMQ

/// CURVE keys, Z85, metadata and the socket monitor over real libzmq sockets, with a ZAP handler written in the test.
@Suite struct CurveTests {
    let context: Context
    let server: CurveKeyPair
    let client: CurveKeyPair

    init() throws {
        context = try Context()
        server = try CurveKeyPair.generate()
        client = try CurveKeyPair.generate()
    }

    @Test("encodes and decodes RFC 32's test vector")
    func z85Vector() {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(Z85.encode(bytes) == "HelloWorld")
        #expect(Z85.decode("HelloWorld") == bytes)
    }

    @Test("refuses Z85 of a wrong length or with a character outside the alphabet", arguments: ["Hello", "Hell~World"])
    func z85Refuses(text: String) {
        #expect(Z85.decode(String(text.dropFirst())) == nil || Z85.decode(text) == nil)
        #expect(Z85.decode("Hell\"World") == nil)
        #expect(Z85.encode([1, 2, 3]) == nil)
    }

    @Test("derives a generated key pair's public key from its secret key, and keeps the secret out of its text")
    func derivePublic() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 32)
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(!pair.description.contains(Z85.encode(pair.secretKey) ?? "-"))
        #expect(throws: ZeroMQError.self) { try CurveKeyPair(secretKey: [1, 2, 3]) }
    }

    /// A CURVE ROUTER bound on loopback TCP.
    func curveRouter() throws -> (Socket, String) {
        let router = try Socket(context: context, type: .router)
        try router.setCurveServer(true)
        try router.setCurveSecretKey(server.secretKey)
        try router.bind("tcp://127.0.0.1:*")
        return (router, try router.lastEndpoint())
    }

    /// A DEALER connected to `endpoint`, a CURVE client of `serverKey` unless that is `nil`, with a monitor of its
    /// handshakes read through the PAIR returned with it.
    func dealer(to endpoint: String, serverKey: [UInt8]?, name: String) throws -> (Socket, Socket) {
        let dealer = try Socket(context: context, type: .dealer)
        if let serverKey {
            try dealer.setCurveServerKey(serverKey)
            try dealer.setCurvePublicKey(client.publicKey)
            try dealer.setCurveSecretKey(client.secretKey)
        }
        try dealer.monitor("inproc://monitor-\(name)", events: .handshakes)
        let monitor = try Socket(context: context, type: .pair)
        try monitor.connect("inproc://monitor-\(name)")
        try dealer.connect(endpoint)
        return (dealer, monitor)
    }

    /// Polls `sockets` until one is readable or 5 seconds pass, answering ZAP requests on `zap` meanwhile with
    /// `status` and the user id `w:alice`; returns the index of the readable socket.
    func wait(for sockets: [Socket], zap: Socket?, status: String = "200") throws -> Int? {
        let poller = Poller()
        let items = sockets.map { poller.add($0) }
        let zapItem = zap.map { poller.add($0) }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            _ = try poller.poll(timeout: deadline - .now)
            if let zap, let zapItem, poller.isReadable(zapItem), let request = try zap.receive(blocking: false) {
                #expect(request.count == 7)
                #expect(request.last == client.publicKey)
                let id = request.dropFirst().first ?? []
                try zap.send([Array("1.0".utf8), id, Array(status.utf8), [], Array("w:alice".utf8), []])
            }
            if let index = items.firstIndex(where: { poller.isReadable($0) }) {
                return index
            }
        }
        return nil
    }

    /// The monitor event waiting on `monitor`.
    func nextEvent(_ monitor: Socket) throws -> MonitorEvent {
        let frames = try #require(try monitor.receive(blocking: false))
        return try #require(MonitorEvent(frames: frames))
    }

    @Test("carries a message under CURVE and hands the ZAP handler's user id to the receiver as metadata")
    func curveWithZAP() throws {
        let zap = try Socket(context: context, type: .rep)
        defer { zap.close() }
        try zap.bind("inproc://zeromq.zap.01")
        let (router, endpoint) = try curveRouter()
        defer { router.close() }
        let (dealer, monitor) = try dealer(to: endpoint, serverKey: server.publicKey, name: "ok")
        defer {
            dealer.close()
            monitor.close()
        }
        try dealer.send([Array("secret".utf8)])
        #expect(try wait(for: [router], zap: zap) == 0)
        let received = try #require(try router.receive(blocking: false, metadata: "User-Id"))
        #expect(received.frames.last == Array("secret".utf8))
        #expect(received.value == "w:alice")
        #expect(try wait(for: [monitor], zap: nil) == 0)
        let event = try nextEvent(monitor)
        #expect(event.kind == .handshakeSucceeded)
    }

    @Test("reports a ZAP refusal to the client's monitor as an authentication failure with the status code")
    func zapRefusal() throws {
        let zap = try Socket(context: context, type: .rep)
        defer { zap.close() }
        try zap.bind("inproc://zeromq.zap.01")
        let (router, endpoint) = try curveRouter()
        defer { router.close() }
        let (dealer, monitor) = try dealer(to: endpoint, serverKey: server.publicKey, name: "refused")
        defer {
            dealer.close()
            monitor.close()
        }
        #expect(try wait(for: [monitor], zap: zap, status: "400") == 0)
        let event = try nextEvent(monitor)
        #expect(event.kind == .handshakeFailedAuth)
        #expect(event.value == 400)
    }

    @Test("reports a plaintext client of a CURVE server as a mechanism mismatch")
    func plaintextClient() throws {
        let (router, endpoint) = try curveRouter()
        defer { router.close() }
        let (dealer, monitor) = try dealer(to: endpoint, serverKey: nil, name: "plain")
        defer {
            dealer.close()
            monitor.close()
        }
        #expect(try wait(for: [monitor], zap: nil) == 0)
        let event = try nextEvent(monitor)
        #expect(event.kind == .handshakeFailedProtocol)
        #expect(event.value == MonitorEvent.mechanismMismatch)
    }

    @Test("reports a client holding the wrong server key as a failed handshake")
    func wrongServerKey() throws {
        let (router, endpoint) = try curveRouter()
        defer { router.close() }
        let (dealer, monitor) = try dealer(to: endpoint, serverKey: client.publicKey, name: "wrong")
        defer {
            dealer.close()
            monitor.close()
        }
        #expect(try wait(for: [monitor], zap: nil) == 0)
        let event = try nextEvent(monitor)
        #expect(event.kind != .handshakeSucceeded)
        #expect(MonitorEvent.Kinds.handshakes.contains(event.kind))
    }

    @Test("refuses a key that is not 32 bytes before libzmq sees it")
    func wrongKeyLength() throws {
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close() }
        #expect(throws: ZeroMQError.self) { try socket.setCurveServerKey([1, 2, 3]) }
    }
}
