import DequeModule
import Foundation
public import Logging
import ZeroMQ

/// Submits a batch to a broker over Corsair's `CRSC01` protocol and streams back what happens to each task.
///
/// Each ``run(_:)`` starts a thread, `corsair-client-io`, that owns the client's DEALER socket for the duration of
/// the batch: it sends the tasks in SUBMIT messages of at most ``Options/chunkSize`` tasks, then waits for every
/// task's result.
public final class BatchClient: Sendable {
    /// How the client talks to the broker.
    public struct Options: Sendable {
        /// The broker endpoint, for example `tcp://localhost:5555`.
        public var broker: String
        /// The session id the broker files the tasks under; random unless given.
        public var session: [UInt8]
        /// Tasks per SUBMIT message.
        public var chunkSize = 1000
        /// How long to wait for the broker to acknowledge a submission before giving up on it.
        public var acknowledgementTimeout: Duration = .seconds(5)
        /// How long the whole batch may take; `nil` waits as long as results keep coming.
        public var timeout: Duration?

        /// Creates options with a random session.
        public init(broker: String) {
            self.broker = broker
            self.session = (0..<16).map { _ in UInt8.random(in: 0...255) }
        }
    }

    /// What the client learns about the batch.
    public enum Event: Sendable, Hashable {
        /// The broker took these tasks (and will send a result for each).
        case accepted([String])
        /// The broker refused these tasks; they will get no result.
        case rejected([TaskRejection])
        /// A task finished.
        case result(TaskResult)
    }

    /// Why a batch could not be completed.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The broker did not acknowledge a submission in time.
        case brokerUnavailable(broker: String, waited: Duration)
        /// The batch's timeout passed; these tasks had no result yet.
        case timedOut(unfinished: [String])
        /// The broker could not understand a submission.
        case brokerError(String)

        public var description: String {
            switch self {
            case .brokerUnavailable(let broker, let waited):
                "broker \(broker) did not answer within \(DurationParser.format(waited))"
            case .timedOut(let unfinished):
                "timed out with \(unfinished.count) tasks unfinished: \(unfinished.prefix(20).joined(separator: " "))"
                    + (unfinished.count > 20 ? " …" : "")
            case .brokerError(let message):
                "broker rejected the submission: \(message)"
            }
        }
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
    /// - Parameter tasks: the batch; ids must be unique within it.
    /// - Returns: events in arrival order; the stream throws ``Failure`` when the batch cannot complete.
    public func run(_ tasks: [TaskSpec]) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Event.self, throwing: (any Error).self)
        let cancelled = Mailbox<Void>.makeOrNil()
        continuation.onTermination = { _ in cancelled?.post(()) }
        let thread = Thread { [self] in
            do {
                try exchange(tasks, events: continuation, cancelled: cancelled)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "corsair-client-io"
        thread.start()
        return stream
    }

    private func exchange(
        _ tasks: [TaskSpec],
        events: AsyncThrowingStream<Event, any Error>.Continuation,
        cancelled: Mailbox<Void>?
    ) throws {
        let context = try Context()
        // Owned by the client I/O thread (`corsair-client-io`).
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close(linger: .milliseconds(100)) }
        try socket.setLinger(.zero)
        try socket.connect(options.broker)

        var pending = Set(tasks.map(\.id))
        var unacknowledged = Set<String>()
        let start = ContinuousClock.now
        for chunkStart in stride(from: 0, to: tasks.count, by: options.chunkSize) {
            let chunk = Array(tasks[chunkStart..<min(chunkStart + options.chunkSize, tasks.count)])
            unacknowledged.formUnion(chunk.map(\.id))
            try socket.send(ClientMessage.submit(session: options.session, tasks: chunk).encoded)
        }
        logger.debug("batch submitted", metadata: ["tasks": "\(tasks.count)", "broker": "\(options.broker)"])

        let poller = Poller()
        let socketItem = poller.add(socket)
        let cancelItem = cancelled.map { poller.add(fileDescriptor: $0.fileDescriptor) }
        var acknowledgementDeadline: ContinuousClock.Instant? = start + options.acknowledgementTimeout
        let batchDeadline = options.timeout.map { start + $0 }
        while !pending.isEmpty {
            let deadline = [acknowledgementDeadline, batchDeadline].compactMap { $0 }.min()
            try poller.poll(timeout: deadline.map { $0 - .now })
            if let cancelItem, poller.isReadable(cancelItem) {
                return
            }
            if poller.isReadable(socketItem) {
                while let frames = try socket.receive(blocking: false) {
                    let reply: BrokerReply
                    do {
                        reply = try BrokerReply(decoding: frames)
                    } catch {
                        logger.info("bad message from broker dropped", metadata: ["error": "\(error)"])
                        continue
                    }
                    switch reply {
                    case .accepted(let ids):
                        unacknowledged.subtract(ids)
                        events.yield(.accepted(ids))
                    case .rejected(let rejections):
                        for rejection in rejections {
                            unacknowledged.remove(rejection.id)
                            pending.remove(rejection.id)
                        }
                        events.yield(.rejected(rejections))
                    case .result(let result):
                        if pending.remove(result.id) != nil {
                            events.yield(.result(result))
                        }
                    case .error(let message):
                        throw Failure.brokerError(message)
                    }
                }
                if unacknowledged.isEmpty {
                    acknowledgementDeadline = nil
                }
            }
            if let acknowledgementDeadline, .now >= acknowledgementDeadline {
                throw Failure.brokerUnavailable(broker: options.broker, waited: options.acknowledgementTimeout)
            }
            if let batchDeadline, .now >= batchDeadline {
                throw Failure.timedOut(unfinished: tasks.map(\.id).filter(pending.contains))
            }
        }
    }
}

extension Mailbox where Command == Void {
    /// A mailbox used only as a wake-up signal, or `nil` when the kernel refuses a pipe (then nothing can cancel).
    static func makeOrNil() -> Mailbox<Void>? {
        try? Mailbox<Void>()
    }
}
