internal import CZeroMQ

/// Waits on several sockets and file descriptors at once (`zmq_poll`).
///
/// A poller belongs to the thread that owns its sockets. Register items once with ``add(_:)`` or
/// ``add(fileDescriptor:)``, then call ``poll(timeout:)`` and ask ``isReadable(_:)`` for each index.
public final class Poller {
    private var items: [zmq_pollitem_t] = []
    /// Keeps registered sockets alive while the poller refers to their handles.
    private var sockets: [Socket?] = []

    /// Creates an empty poller.
    public init() {}

    /// Watches `socket` for incoming messages.
    ///
    /// - Returns: the item's index, for ``isReadable(_:)``.
    @discardableResult
    public func add(_ socket: Socket) -> Int {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Watches a file descriptor (an eventfd or pipe) for readability.
    ///
    /// - Returns: the item's index, for ``isReadable(_:)``.
    @discardableResult
    public func add(fileDescriptor: Int32) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: Int16(ZMQ_POLLIN), revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Forgets every registered item.
    public func removeAll() {
        items.removeAll()
        sockets.removeAll()
    }

    /// Waits until an item is readable or `timeout` passes.
    ///
    /// - Parameter timeout: the longest wait; `nil` waits indefinitely. Rounded up to whole milliseconds so the
    ///   caller never wakes just before its deadline.
    /// - Returns: how many items are readable.
    @discardableResult
    public func poll(timeout: Duration?) throws(ZeroMQError) -> Int {
        var milliseconds: Int = -1
        if let timeout {
            let (seconds, attoseconds) = max(timeout, .zero).components
            let wholeMilliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
            let remainder = attoseconds % 1_000_000_000_000_000
            milliseconds = wholeMilliseconds + (remainder > 0 ? 1 : 0)
        }
        let count = items.count
        let ready = try zeroMQCall("zmq_poll") {
            items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32(count), milliseconds) }
        }
        return Int(ready)
    }

    /// Whether item `index` was readable at the last ``poll(timeout:)``.
    public func isReadable(_ index: Int) -> Bool {
        items[index].revents & Int16(ZMQ_POLLIN) != 0
    }
}
