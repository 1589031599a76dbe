internal import CZeroMQ

/// A ZeroMQ socket.
///
/// A socket is not thread-safe: create it, use it and close it on one thread, and keep it there. The type is
/// deliberately not `Sendable`, so the compiler rejects moving it to another isolation domain. Each owner says in its
/// own documentation which thread that is.
///
/// Close every socket with ``close(linger:)`` before its owner thread exits; debug builds check that in `deinit`.
public final class Socket {
    let handle: UnsafeMutableRawPointer
    /// Keeps the context alive for as long as the socket exists: libzmq requires it.
    private let context: Context
    /// The socket's type, as created.
    public let type: SocketType
    /// Whether ``close(linger:)`` has run.
    public private(set) var isClosed = false
    /// The socket's `ZMQ_FD`: readable when libzmq has commands for this socket, which include "a message arrived".
    let signalDescriptor: Int32
    /// Whether a message may be waiting that ``signalDescriptor`` will not announce.
    ///
    /// `ZMQ_FD` signals a change, not a state: any call that lets libzmq process the socket's commands (a send, a
    /// receive, an option) can consume the signal of a message that then waits unannounced. Only a receive that finds
    /// nothing, or a `ZMQ_EVENTS` that shows no input, leaves the descriptor in step with the queue.
    var inputMayBeUnannounced = true

    /// Creates a socket of `type` in `context`.
    ///
    /// - Throws: ``ZeroMQError`` when libzmq refuses, for example with ``ZeroMQError/Code/contextTerminated``.
    public init(context: Context, type: SocketType) throws(ZeroMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZeroMQError(errno: zmq_errno(), operation: "zmq_socket(\(type))")
        }
        var descriptor: Int32 = -1
        var size = MemoryLayout<Int32>.size
        if zmq_getsockopt(handle, ZMQ_FD, &descriptor, &size) != 0 {
            let code = zmq_errno()
            zmq_close(handle)
            throw ZeroMQError(errno: code, operation: "zmq_getsockopt(ZMQ_FD)")
        }
        self.handle = handle
        self.context = context
        self.type = type
        self.signalDescriptor = descriptor
    }

    deinit {
        assert(isClosed, "a \(type) socket was released without close(linger:)")
        if !isClosed {
            zmq_close(handle)
        }
    }

    /// Binds to `endpoint`, for example `tcp://*:5555` or `tcp://127.0.0.1:*` (a free port; see ``lastEndpoint``).
    public func bind(_ endpoint: String) throws(ZeroMQError) {
        inputMayBeUnannounced = true
        try zeroMQCall("zmq_bind(\(endpoint))") { zmq_bind(handle, endpoint) }
    }

    /// Connects to `endpoint`. libzmq connects in the background and reconnects by itself.
    public func connect(_ endpoint: String) throws(ZeroMQError) {
        inputMayBeUnannounced = true
        try zeroMQCall("zmq_connect(\(endpoint))") { zmq_connect(handle, endpoint) }
    }

    /// Sends `message` as one multipart message.
    ///
    /// - Parameters:
    ///   - message: the frames, at least one.
    ///   - blocking: when `false`, returns `false` instead of waiting if the message cannot be queued now.
    /// - Returns: `true` when libzmq queued the whole message.
    /// - Throws: ``ZeroMQError``, for example ``ZeroMQError/Code/hostUnreachable`` from a ROUTER with
    ///   `ROUTER_MANDATORY` whose peer is gone; nothing of the message was sent then.
    @discardableResult
    public func send(_ message: Multipart, blocking: Bool = true) throws(ZeroMQError) -> Bool {
        precondition(!message.isEmpty, "a ZeroMQ message has at least one frame")
        guard try send(frame: message[0], more: message.count > 1, blocking: blocking, first: true) else {
            return false
        }
        try sendRest(of: message, from: 1, blocking: blocking)
        return true
    }

    /// Sends `message` from a ROUTER to the peer `routingID` names. The routing id goes first, as its own frame,
    /// without copying the message to put it there.
    ///
    /// - Returns: `true` when libzmq queued the whole message; `false` when not blocking and it could not be queued.
    /// - Throws: ``ZeroMQError``, as ``send(_:blocking:)`` does.
    @discardableResult
    public func send(_ message: Multipart, routingID: [UInt8], blocking: Bool = true) throws(ZeroMQError) -> Bool {
        precondition(!message.isEmpty, "a ZeroMQ message has at least one frame after the routing id")
        guard try send(frame: routingID, more: true, blocking: blocking, first: true) else {
            return false
        }
        try sendRest(of: message, from: 0, blocking: blocking)
        return true
    }

    /// Sends `message[start...]`, the rest of a message whose first frame is queued.
    private func sendRest(of message: Multipart, from start: Int, blocking: Bool) throws(ZeroMQError) {
        let last = message.count - 1
        for index in start..<message.count {
            _ = try send(frame: message[index], more: index < last, blocking: blocking, first: false)
        }
    }

    /// Sends one frame; returns `false` when the `first` frame of a message could not be queued without blocking. Once
    /// the first frame is queued, libzmq queues the rest of the message with it.
    private func send(frame: [UInt8], more: Bool, blocking: Bool, first: Bool) throws(ZeroMQError) -> Bool {
        inputMayBeUnannounced = true
        var flags: Int32 = more ? ZMQ_SNDMORE : 0
        if !blocking { flags |= ZMQ_DONTWAIT }
        do {
            try zeroMQCall("zmq_send") {
                frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            }
        } catch let error where error.code == .wouldBlock && first {
            return false
        }
        return true
    }

    /// Receives one whole multipart message.
    ///
    /// - Parameter blocking: when `false`, returns `nil` at once if no message is waiting.
    /// - Returns: the frames, or `nil` when non-blocking and nothing was there.
    public func receive(blocking: Bool = true) throws(ZeroMQError) -> Multipart? {
        try receive(blocking: blocking, property: nil)?.frames
    }

    /// Receives one whole multipart message together with one of its metadata properties (`zmq_msg_gets`), such as
    /// `User-Id`, which a ZAP handler sets for the connection, or `Peer-Address`.
    ///
    /// The plain ``receive(blocking:)`` reads no metadata, so a socket that needs none pays nothing for it.
    ///
    /// - Parameters:
    ///   - blocking: when `false`, returns `nil` at once if no message is waiting.
    ///   - property: the property's name; libzmq matches it without regard to case.
    /// - Returns: the frames and the property's value (`nil` when the connection has no such property), or `nil`
    ///   when non-blocking and nothing was there.
    public func receive(
        blocking: Bool = true,
        metadata property: String
    ) throws(ZeroMQError) -> (frames: Multipart, value: String?)? {
        try receive(blocking: blocking, property: property)
    }

    private func receive(
        blocking: Bool,
        property: String?
    ) throws(ZeroMQError) -> (frames: Multipart, value: String?)? {
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        var frames: Multipart = []
        var value: String?
        var flags: Int32 = blocking ? 0 : ZMQ_DONTWAIT
        while true {
            do {
                try zeroMQCall("zmq_msg_recv") { zmq_msg_recv(&message, handle, flags) }
            } catch let error where error.code == .wouldBlock && frames.isEmpty {
                // libzmq processed the socket's commands before giving up, so its descriptor is in step again.
                inputMayBeUnannounced = false
                return nil
            }
            inputMayBeUnannounced = true
            let size = zmq_msg_size(&message)
            if size == 0 {
                frames.append([])
            } else {
                frames.append(Array(UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: size)))
            }
            if zmq_msg_more(&message) == 0 {
                // The last frame came from the wire; a ROUTER's routing id frame, made locally, has no metadata.
                if let property {
                    value = zmq_msg_gets(&message, property).map { String(cString: $0) }
                }
                return (frames, value)
            }
            // The rest of a multipart message has arrived with its first frame.
            flags = 0
        }
    }

    /// Whether a message is waiting (`ZMQ_EVENTS`); lets libzmq process the socket's pending commands first.
    func hasInput() throws(ZeroMQError) -> Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try zeroMQCall("zmq_getsockopt(ZMQ_EVENTS)") { zmq_getsockopt(handle, ZMQ_EVENTS, &events, &size) }
        let waiting = events & Int32(ZMQ_POLLIN) != 0
        inputMayBeUnannounced = waiting
        return waiting
    }

    /// Closes the socket.
    ///
    /// - Parameter linger: how long unsent messages may keep the context's termination waiting; `nil` waits forever.
    public func close(linger: Duration? = .zero) {
        guard !isClosed else { return }
        try? setLinger(linger)
        zmq_close(handle)
        isClosed = true
    }
}
