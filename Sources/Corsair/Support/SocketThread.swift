import DequeModule
import Foundation
package import ZeroMQ

/// A thread that owns ZeroMQ sockets, as every Corsair loop needs one: its name, its mailbox, its sockets and its end.
///
/// The czmq actor shape: ``start(_:)`` runs the loop's body on a new thread named ``name``; other threads reach it
/// only by posting a `Command` to its ``mailbox``; every socket is opened through the ``ThreadSockets`` the body is
/// given, from the process's one context, and whatever is still open when the body returns is closed on the thread.
/// ``finished()`` waits for that and rethrows what ended the body.
package final class SocketThread<Command: Sendable>: Sendable {
    /// The thread's name, as `top -H` and `perf` show it (at most 15 bytes).
    package let name: String
    /// Commands for the thread; its poll set watches ``Mailbox/fileDescriptor``.
    package let mailbox: Mailbox<Command>
    private let done = Completion<Void>()

    /// Creates the thread's mailbox; nothing runs until ``start(_:)``.
    ///
    /// - Throws: ``MailboxError`` when the kernel refuses a pipe.
    package init(name: String) throws(MailboxError) {
        self.name = name
        self.mailbox = try Mailbox()
    }

    /// Starts the thread running `body`.
    ///
    /// When `body` returns or throws, the thread closes the sockets still open, seals the mailbox and hands the
    /// commands left in it to `body`'s owner through ``finished()``'s outcome; `leftover` answers them first.
    ///
    /// - Parameters:
    ///   - leftover: called on the thread with each command still waiting once the body has ended.
    ///   - body: the loop; it owns the ``ThreadSockets`` it is given and must not let a socket escape the thread.
    package func start(
        leftover: @escaping @Sendable (Command) -> Void = { _ in },
        _ body: @escaping @Sendable (ThreadSockets) throws -> Void
    ) {
        Thread.startNamed(name) { [self] in
            let sockets = ThreadSockets()
            let outcome = Result { try body(sockets) }
            sockets.closeAll()
            for command in mailbox.seal() {
                leftover(command)
            }
            done.complete(outcome)
        }
    }

    /// Posts `command` to the thread. Callable from any thread.
    ///
    /// - Returns: `false` once the thread's body has ended: nobody will read the command.
    @discardableResult
    package func post(_ command: Command) -> Bool {
        mailbox.post(command)
    }

    /// Waits until the thread's body has ended and its sockets are closed; rethrows what ended it, if anything did.
    package func finished() async throws {
        try await done.value()
    }
}

extension SocketThread where Command == Never {
    /// Runs `body` on a new socket thread named `name` and returns what it returns: for a short exchange, such as a
    /// status query, that needs no mailbox.
    ///
    /// - Throws: what `body` throws, or ``MailboxError`` when the thread could not be set up.
    package static func run<Value: Sendable>(
        named name: String,
        _ body: @escaping @Sendable (ThreadSockets) throws -> Value
    ) async throws -> Value {
        let thread = try SocketThread(name: name)
        let answer = Completion<Value>()
        thread.start { sockets in
            answer.complete(Result { try body(sockets) })
        }
        try await thread.finished()
        return try await answer.value()
    }
}

/// The sockets of one ``SocketThread``: it opens them from the process's one context with ``SocketSetup``'s options,
/// and closes those left open when the thread's body ends.
///
/// - Note: Owned by its socket thread, like the sockets it opens; it is not `Sendable`.
package final class ThreadSockets {
    /// The sockets not closed yet, each with the linger it was opened with.
    private var open: [(socket: Socket, linger: Duration)] = []

    init() {}

    /// Opens a socket of `type`, configured by `setup`.
    ///
    /// - Throws: ``ZeroMQ/ZeroMQError`` when libzmq refuses the socket or one of its options.
    package func open(_ type: SocketType, _ setup: SocketSetup) throws(ZeroMQError) -> Socket {
        let socket = try Socket(context: Context.shared, type: type)
        do {
            try setup.apply(to: socket)
        } catch {
            socket.close()
            throw error
        }
        open.append((socket, setup.linger))
        return socket
    }

    /// Closes `socket` now, keeping its unsent messages for up to `linger`; stops its monitor first, if it has one.
    package func close(_ socket: Socket, linger: Duration? = .zero) {
        socket.stopMonitor()
        socket.close(linger: linger)
        open.removeAll { $0.socket === socket }
    }

    /// Closes every socket still open, each with the linger its ``SocketSetup`` gave it. Every monitor stops before
    /// any socket closes: a monitored socket that outlived its monitor's reader would have libzmq's I/O thread wait
    /// for good on an event nobody reads (``ZeroMQ/Socket/stopMonitor()``).
    func closeAll() {
        for (socket, _) in open {
            socket.stopMonitor()
        }
        for (socket, linger) in open {
            socket.close(linger: linger)
        }
        open.removeAll()
    }
}
