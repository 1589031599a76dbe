package import DequeModule
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Carries commands from any thread into a socket-owning loop, and wakes the loop's `Poller` when one arrives.
///
/// The queue sits behind a `Mutex`; the read end of a pipe in the loop's poll set turns readable while commands wait.
/// This is the czmq actor's command pipe without a second ZeroMQ socket, so no socket is ever shared between threads.
package final class Mailbox<Command: Sendable>: Sendable {
    private struct State {
        var commands = Deque<Command>()
        var isClosed = false
    }

    private let state = Mutex(State())
    /// Readable while commands wait; register it with the loop's ``ZeroMQ/Poller``.
    package let fileDescriptor: Int32
    private let writeDescriptor: Int32

    /// Creates an empty mailbox.
    ///
    /// - Throws: ``MailboxError`` when the kernel refuses a pipe.
    package init() throws(MailboxError) {
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
    ///
    /// Only the command that finds the queue empty writes to the pipe: the loop takes every waiting command when it
    /// wakes, so later ones ride on that wake-up instead of costing a system call and a context switch each.
    ///
    /// - Returns: `false`, queueing nothing, once the mailbox is closed.
    @discardableResult
    package func post(_ command: Command) -> Bool {
        let outcome: (posted: Bool, wake: Bool) = state.withLock { state in
            guard !state.isClosed else { return (false, false) }
            state.commands.append(command)
            return (true, state.commands.count == 1)
        }
        if outcome.wake {
            // A full pipe means the loop has wake-ups pending already, so a failed write loses nothing.
            var byte: UInt8 = 1
            _ = write(writeDescriptor, &byte, 1)
        }
        return outcome.posted
    }

    /// Takes every waiting command, oldest first. Called by the loop's thread when ``fileDescriptor`` is readable.
    package func drain() -> Deque<Command> {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fileDescriptor, &buffer, buffer.count) > 0 {}
        return state.withLock { state in
            defer { state.commands.removeAll() }
            return state.commands
        }
    }

    /// Refuses every later ``post(_:)`` and returns the commands still waiting, so the loop can answer them.
    package func seal() -> Deque<Command> {
        state.withLock { state in
            state.isClosed = true
            defer { state.commands.removeAll() }
            return state.commands
        }
    }
}

/// The kernel refused to create the pipe behind a ``Mailbox``.
package struct MailboxError: Error, CustomStringConvertible {
    var errno: Int32
    package var description: String { "pipe failed: \(String(cString: strerror(errno)))" }
}
