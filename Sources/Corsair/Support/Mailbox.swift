import DequeModule
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Carries commands from any thread into a socket-owning loop, and wakes the loop's `zmq_poll` when one arrives.
///
/// The queue sits behind a `Mutex`; the read end of a pipe in the loop's poll set turns readable while commands wait.
/// This is the czmq actor's command pipe without a second ZeroMQ socket, so no socket is ever shared between threads.
final class Mailbox<Command: Sendable>: Sendable {
    private let queue = Mutex(Deque<Command>())
    /// Readable while commands wait; register it with the loop's ``ZeroMQ/Poller``.
    let fileDescriptor: Int32
    private let writeDescriptor: Int32

    /// Creates an empty mailbox.
    ///
    /// - Throws: ``MailboxError`` when the kernel refuses a pipe.
    init() throws(MailboxError) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw MailboxError(errno: errno) }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        fileDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    deinit {
        close(fileDescriptor)
        close(writeDescriptor)
    }

    /// Queues `command` and wakes the loop. Callable from any thread.
    func post(_ command: Command) {
        queue.withLock { $0.append(command) }
        // A full pipe means the loop has wake-ups pending already, so a failed write loses nothing.
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Takes every waiting command, oldest first. Called by the loop's thread when ``fileDescriptor`` is readable.
    func drain() -> Deque<Command> {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fileDescriptor, &buffer, buffer.count) > 0 {}
        return queue.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }
}

/// The kernel refused to create the pipe behind a ``Mailbox``.
struct MailboxError: Error, CustomStringConvertible {
    var errno: Int32
    var description: String { "pipe failed: \(String(cString: strerror(errno)))" }
}
