import Foundation
public import Logging
import ZeroMQ

/// Submits a batch to a broker over Corsair's `CRSC01` protocol and streams back what happens to each task.
///
/// Each ``run(_:)`` starts a thread, `client-io`, that owns the client's DEALER socket for the duration of
/// the batch: it sends the tasks in SUBMIT messages of at most ``Options/chunkSize`` tasks and
/// ``Options/chunkBytes`` bytes, then waits for every task's result, pinging the broker while it waits. When the broker falls silent the client reconnects on a new
/// socket and resubmits every task without a result, under the same ids (Lazy Pirate); when a restarted broker no
/// longer knows the batch, it resubmits them too. The broker de-duplicates by session and id.
public final class BatchClient: Sendable {
    /// How the client talks to the broker; the session is random unless given.
    public typealias Options = BrokerLinkOptions

    /// What the client learns about the batch.
    public enum Event: Sendable, Hashable {
        /// The broker took these tasks (and will send a result for each).
        case accepted([String])
        /// The broker refused these tasks; they will get no result.
        case rejected([TaskRejection])
        /// Tasks finished: the results of one message from the broker, which sends a client's results together.
        case results([TaskResult])
    }

    /// Why a batch could not be completed, apart from ``BrokerUnavailable`` (no acknowledgement in time).
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The batch's timeout passed; these tasks had no result yet.
        case timedOut(unfinished: [String])
        /// The broker could not understand a submission.
        case brokerError(String)
        /// `corsair wait`'s timeout passed with this many of the batch's tasks unfinished.
        case timedOutWaiting(unfinished: Int)
        /// The broker does not know the batch being waited for.
        case unknownBatch(String)
        /// The broker refused tasks because its journal is full (reason `journal_full`): try again later.
        case journalFull(String)
        /// The broker refused tasks because the batch holds as many unfinished tasks as it allows one client
        /// (reason `client_queue_full`, `--max-queued-per-client`): try again once some have finished.
        case clientQueueFull(String)

        public var description: String {
            switch self {
            case .timedOutWaiting(let unfinished):
                "timed out with \(unfinished) task\(unfinished == 1 ? "" : "s") unfinished"
            case .unknownBatch(let name):
                "the broker does not know batch '\(name)' (never submitted, or lost in a restart without a journal)"
            case .journalFull(let reason):
                "the broker's journal is full, submission refused (try again later): \(reason)"
            case .clientQueueFull(let reason):
                "the broker holds as many unfinished tasks of this batch as it allows, submission refused "
                    + "(try again later): \(reason)"
            case .timedOut(let unfinished):
                "timed out with \(unfinished.count) task\(unfinished.count == 1 ? "" : "s") unfinished: "
                    + unfinished.prefix(20).joined(separator: " ") + (unfinished.count > 20 ? " …" : "")
            case .brokerError(let message):
                "broker rejected the submission: \(message)"
            }
        }
    }

    /// The start of a rejection's reason when the broker's journal is full.
    public static let journalFullReason = "journal_full"
    /// The start of a rejection's reason when the batch holds as many unfinished tasks as the broker allows one client.
    public static let clientQueueFullReason = "client_queue_full"

    /// The temporary refusal among `rejections` (``Failure/journalFull(_:)`` or ``Failure/clientQueueFull(_:)``),
    /// which ends the batch: its tasks would never run.
    static func temporaryRefusal(among rejections: [TaskRejection]) -> Failure? {
        for rejection in rejections {
            if rejection.reason.hasPrefix(journalFullReason) { return .journalFull(rejection.reason) }
            if rejection.reason.hasPrefix(clientQueueFullReason) { return .clientQueueFull(rejection.reason) }
        }
        return nil
    }

    private let options: Options
    private let logger: Logger

    /// Creates a client.
    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Submits `tasks` and streams events until every task has a result or was rejected.
    ///
    /// Stopping the iteration early (or cancelling its task) ends the exchange and closes the socket.
    ///
    /// - Parameter tasks: the batch; ids must be unique within it.
    /// - Returns: events in arrival order; the stream throws ``BrokerUnavailable`` or ``Failure`` when the batch
    ///   cannot complete.
    public func run(_ tasks: [TaskSpec]) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Event.self, throwing: (any Error).self)
        let thread: SocketThread<Void>
        do {
            thread = try SocketThread(name: "client-io")
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        continuation.onTermination = { _ in thread.post(()) }
        thread.start { [self] sockets in
            do {
                try exchange(tasks, events: continuation, sockets: sockets, cancelled: thread.mailbox)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// The client I/O thread's loop (`client-io`), which owns the socket.
    private func exchange(
        _ tasks: [TaskSpec],
        events: AsyncThrowingStream<Event, any Error>.Continuation,
        sockets: ThreadSockets,
        cancelled: Mailbox<Void>
    ) throws {
        var exchange = Exchange(tasks: tasks, logger: logger)
        // Its socket is replaced when the broker goes silent (Lazy Pirate).
        var link = try BrokerLink(options: options, logger: logger, sockets: sockets)
        try exchange.submitPending(on: &link)
        let poller = Poller()
        while !exchange.pending.isEmpty {
            guard try link.wait(poller, cancelled: cancelled) else { return }
            while let reply = try link.receive() {
                try exchange.received(reply, on: &link, events: events)
            }
            try link.checkDeadlines(at: .now) {
                BatchClient.Failure.timedOut(unfinished: tasks.map(\.id).filter(exchange.pending.contains))
            }
            if link.needsReconnect(at: .now) {
                logger.info(
                    "broker silent or standing by, reconnecting and resubmitting unfinished tasks",
                    metadata: ["broker": "\(link.broker)", "tasks": "\(exchange.pending.count)"])
                try link.reconnect(sockets)
                try exchange.submitPending(on: &link)
            } else if link.pingIsDue(at: .now) {
                try link.send(.ping(session: options.session))
            }
        }
    }
}

/// The client's side of one batch: what is unfinished and what the broker has acknowledged.
private struct Exchange {
    let tasks: [TaskSpec]
    let logger: Logger
    var pending: Set<String>
    var unacknowledged: Set<String> = []

    init(tasks: [TaskSpec], logger: Logger) {
        self.tasks = tasks
        self.logger = logger
        self.pending = Set(tasks.map(\.id))
    }

    /// Sends every unfinished task again, in batch order; the broker acknowledges known ids without queueing them.
    mutating func submitPending(on link: inout BrokerLink) throws {
        let unfinished = tasks.filter { pending.contains($0.id) }
        try link.submit(unfinished)
        unacknowledged.formUnion(unfinished.map(\.id))
        link.acknowledgementDeadline = .now + link.options.acknowledgementTimeout
        logger.debug(
            "batch submitted", metadata: ["tasks": "\(unfinished.count)", "broker": "\(link.options.broker)"])
    }

    mutating func received(
        _ reply: BrokerReply,
        on link: inout BrokerLink,
        events: AsyncThrowingStream<BatchClient.Event, any Error>.Continuation
    ) throws {
        switch reply {
        case .accepted(let ids):
            unacknowledged.subtract(ids)
            events.yield(.accepted(ids))
        case .rejected(let rejections):
            if let refusal = BatchClient.temporaryRefusal(among: rejections) {
                throw refusal
            }
            for rejection in rejections {
                unacknowledged.remove(rejection.id)
                pending.remove(rejection.id)
            }
            events.yield(.rejected(rejections))
        case .results(let results):
            // A result also acknowledges its task: the broker leaves answered ids out of ACCEPTED.
            unacknowledged.subtract(results.map(\.id))
            let fresh = results.filter { pending.remove($0.id) != nil }
            if !fresh.isEmpty {
                events.yield(.results(fresh))
            }
        case .pong(let sessionKnown, _):
            if !sessionKnown {
                logger.info(
                    "broker does not know this batch (restarted?), resubmitting unfinished tasks",
                    metadata: ["broker": "\(link.options.broker)", "tasks": "\(pending.count)"])
                try submitPending(on: &link)
            }
        case .report, .attached, .stream:
            logger.debug("unexpected REPORT, ATTACHED or STREAM from broker dropped")
        case .error(let message):
            if let refused = AccessRefused(brokerError: message, broker: link.options.broker) { throw refused }
            throw BatchClient.Failure.brokerError(message)
        }
        if unacknowledged.isEmpty {
            link.acknowledgementDeadline = nil
        }
    }
}
