import Foundation
public import Logging
import Synchronization
import ZeroMQ

/// Follows a batch on a broker (ATTACH), and submits to it as a stream with a window: what `corsair wait`,
/// `corsair submit --detach` and `corsair submit` against a durable broker use.
///
/// Each ``run(_:onEvent:)`` starts a thread, `client-io`, that owns the client's DEALER socket. The client holds
/// only the tasks sent and not yet acknowledged (at most ``Options/window``) and a ``ResultCursor``, so its memory
/// does not grow with the batch. When the broker falls silent it connects a new socket, attaches again after its
/// cursor and sends again what was not acknowledged; when a PONG says the broker lost the attachment (it restarted),
/// it does the same on the same socket. A durable broker still has every task it acknowledged, so nothing else is
/// sent again, and the cursor keeps each result reported once.
public final class SessionClient: Sendable {
    /// What the client does with the session.
    public enum Mode: Sendable, Hashable {
        /// Follow the results of an existing batch (`corsair wait`).
        case wait
        /// Submit tasks and follow their results (`corsair submit` to a durable broker).
        case submit
        /// Submit tasks and stop once each is acknowledged (`corsair submit --detach`).
        case detach
    }

    /// How the client talks to the broker: the link's options (``BrokerLinkOptions``, readable and writable as the
    /// options' own), what to do, and the window.
    @dynamicMemberLookup
    public struct Options: Sendable {
        /// The broker, the session (batch name) submitted to or followed, chunks, timeouts and keys.
        public var link: BrokerLinkOptions
        /// What to do.
        public var mode: Mode
        /// Most tasks in flight: submitted and without a result (``Mode/submit``), or without an acknowledgement
        /// (``Mode/detach``).
        public var window = 10_000

        /// Creates options.
        public init(broker: String, session: [UInt8], mode: Mode) {
            self.link = BrokerLinkOptions(broker: broker, session: session)
            self.mode = mode
        }

        /// The link's option at `keyPath`.
        public subscript<Value>(dynamicMember keyPath: WritableKeyPath<BrokerLinkOptions, Value>) -> Value {
            get { link[keyPath: keyPath] }
            set { link[keyPath: keyPath] = newValue }
        }
    }

    /// What the client learns, handed to the caller on the client's thread, in order.
    public enum Event: Sendable, Hashable {
        /// The broker knows the session: how many tasks it has and how many are unfinished.
        case attached(AttachStatus)
        /// The broker acknowledged this many tasks (new or already known).
        case accepted(Int)
        /// The broker refused these tasks.
        case rejected([TaskRejection])
        /// Results not reported before, and how many of the batch's tasks are unfinished now.
        case results([TaskResult], unfinished: UInt64)
    }

    private let options: Options
    private let logger: Logger

    /// Creates a client.
    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs until the work of ``Options/mode`` is done: every task acknowledged and, unless detached, every result
    /// of the batch reported.
    ///
    /// - Parameters:
    ///   - source: the tasks to submit; `nil` for ``Mode/wait``.
    ///   - onEvent: called on the client thread for each event; the client reads nothing while it runs, so a slow
    ///     caller slows the batch instead of queueing results in memory. What it throws ends the run.
    /// - Throws: ``BrokerUnavailable``, ``HandshakeFailure``, ``AccessRefused``, ``BatchClient/Failure``, or what
    ///   `onEvent` threw.
    public func run(
        _ source: sending (any TaskSource)?,
        onEvent: @escaping @Sendable (Event) throws -> Void
    ) async throws {
        let thread = try SocketThread<Void>(name: "client-io")
        let handOver = SourceHandOver(source)
        thread.start { [options, logger] sockets in
            var exchange = try SessionExchange(
                options: options, source: handOver.take(), logger: logger, sockets: sockets, onEvent: onEvent)
            try exchange.run(sockets: sockets, cancelled: thread.mailbox)
        }
        try await withTaskCancellationHandler {
            try await thread.finished()
        } onCancel: {
            thread.post(())
        }
    }
}

/// Hands a task source, which need not be `Sendable`, to the client thread that alone reads it.
private final class SourceHandOver: Sendable {
    private let source: Mutex<(any TaskSource)?>

    init(_ source: sending (any TaskSource)?) {
        self.source = Mutex(source)
    }

    /// The source, once; `nil` after.
    func take() -> sending (any TaskSource)? {
        source.withLock { $0.take() }
    }
}
