#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits on several sockets and file descriptors at once.
///
/// A poller belongs to the thread that owns its sockets. Register items once with ``add(_:)`` or
/// ``add(fileDescriptor:)``, then call ``poll(timeout:)`` and ask ``isReadable(_:)`` for each index.
///
/// It does what `zmq_poll` does with fewer system calls. `zmq_poll` first polls every descriptor without waiting and
/// asks each socket for `ZMQ_EVENTS`, then waits and asks again: each `ZMQ_EVENTS` costs libzmq a `poll` of its own.
/// This poller asks a socket before waiting only when its descriptor may have missed a message (see
/// ``Socket/inputMayBeUnannounced``); after a receive that found nothing, the descriptor alone is trusted. A socket is
/// readable only when a message is waiting, as with `zmq_poll`.
public final class Poller {
    private var descriptors: [pollfd] = []
    /// The socket behind each descriptor, or `nil` for a plain file descriptor; also keeps the sockets alive.
    private var sockets: [Socket?] = []
    private var readable: [Bool] = []

    /// Creates an empty poller.
    public init() {}

    /// Watches `socket` for incoming messages.
    ///
    /// - Returns: the item's index, for ``isReadable(_:)``.
    @discardableResult
    public func add(_ socket: Socket) -> Int {
        add(descriptor: socket.signalDescriptor, socket: socket)
    }

    /// Watches a file descriptor (an eventfd or pipe) for readability.
    ///
    /// - Returns: the item's index, for ``isReadable(_:)``.
    @discardableResult
    public func add(fileDescriptor: Int32) -> Int {
        add(descriptor: fileDescriptor, socket: nil)
    }

    private func add(descriptor: Int32, socket: Socket?) -> Int {
        descriptors.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0))
        sockets.append(socket)
        readable.append(false)
        return descriptors.count - 1
    }

    /// Forgets every registered item.
    public func removeAll() {
        descriptors.removeAll()
        sockets.removeAll()
        readable.removeAll()
    }

    /// Waits until an item is readable or `timeout` passes.
    ///
    /// - Parameter timeout: the longest wait; `nil` waits indefinitely. Rounded up to whole milliseconds so the
    ///   caller never wakes just before its deadline.
    /// - Returns: how many items are readable.
    /// - Throws: ``ZeroMQError`` when `poll` or `ZMQ_EVENTS` fails.
    @discardableResult
    public func poll(timeout: Duration?) throws(ZeroMQError) -> Int {
        let deadline = timeout.map { ContinuousClock.now + max($0, .zero) }
        var ready = 0
        for index in sockets.indices {
            readable[index] = false
            if let socket = sockets[index], socket.inputMayBeUnannounced, try socket.hasInput() {
                readable[index] = true
                ready += 1
            }
        }
        while true {
            let wait = ready > 0 ? 0 : Self.milliseconds(until: deadline)
            try waitForDescriptors(milliseconds: wait)
            for index in descriptors.indices where !readable[index] && descriptors[index].revents != 0 {
                if let socket = sockets[index] {
                    // The descriptor also wakes for libzmq's other commands; only ZMQ_EVENTS tells a message.
                    guard try socket.hasInput() else { continue }
                }
                // A plain descriptor counts as readable on hang-up or error too, so its reader sees what happened.
                readable[index] = true
                ready += 1
            }
            if ready > 0 || wait == 0 {
                return ready
            }
        }
    }

    /// Whether item `index` was readable at the last ``poll(timeout:)``.
    public func isReadable(_ index: Int) -> Bool {
        readable[index]
    }

    private func waitForDescriptors(milliseconds: Int32) throws(ZeroMQError) {
        let count = nfds_t(descriptors.count)
        while descriptors.withUnsafeMutableBufferPointer({ systemPoll($0.baseAddress, count, milliseconds) }) < 0 {
            guard errno == EINTR else {
                throw ZeroMQError(errno: errno, operation: "poll")
            }
        }
    }

    /// The `poll` timeout for `deadline`: -1 for none, else whole milliseconds rounded up.
    private static func milliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
        guard let deadline else { return -1 }
        let (seconds, attoseconds) = max(deadline - .now, .zero).components
        let rounded = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: rounded)
    }
}

/// The C library's `poll`, under a name that ``Poller/poll(timeout:)`` does not hide.
private func systemPoll(_ descriptors: UnsafeMutablePointer<pollfd>?, _ count: nfds_t, _ timeout: Int32) -> Int32 {
    poll(descriptors, count, timeout)
}
