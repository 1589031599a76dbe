public import Logging
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a ``WorkerLoop`` and its handler as a ServiceLifecycle service.
///
/// Each task runs as a child task of the service, so none outlives it. Graceful shutdown (or cancellation) drains the
/// loop: it stops taking tasks, waits for those in flight (up to its drain timeout), sends DISCONNECT and exits.
///
/// A Swift program embeds a worker like this:
/// ```swift
/// let worker = try WorkerService(broker: "tcp://broker:5555", categories: ["resize"], logger: logger) { task in
///     try await resize(task.payload)
/// }
/// try await ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
public struct WorkerService: Service {
    private enum Handler {
        case concurrent(TaskHandler)
        case inline(InlineTaskHandler)
    }

    private let loop: WorkerLoop
    private let handler: Handler

    /// Creates the service around a configured loop.
    public init(loop: WorkerLoop, handler: @escaping TaskHandler) {
        self.loop = loop
        self.handler = .concurrent(handler)
    }

    /// Creates the service around a configured loop, running `handler` on the loop's socket thread (see
    /// ``InlineTaskHandler``).
    public init(loop: WorkerLoop, inline handler: @escaping InlineTaskHandler) {
        self.loop = loop
        self.handler = .inline(handler)
    }

    /// Creates a worker serving `categories` of the broker at `broker`, each with `concurrency` tasks at once.
    ///
    /// - Parameters:
    ///   - broker: the broker endpoint.
    ///   - categories: the categories to serve, one connection each.
    ///   - name: the worker's name in the broker's status; defaults to `swift-PID`.
    ///   - concurrency: tasks per connection at once.
    ///   - drainTimeout: how long a graceful stop waits for tasks in flight.
    ///   - logger: where connection events go.
    ///   - handler: runs each task; return the result or throw to fail it.
    public init(
        broker: String,
        categories: [String],
        name: String? = nil,
        concurrency: Int = 1,
        drainTimeout: Duration = .seconds(30),
        logger: Logger,
        handler: @escaping TaskHandler
    ) throws {
        let name = name ?? "swift-\(getpid())"
        let configurations = categories.map { category in
            var configuration = WorkerConfiguration(broker: broker, category: category, name: name)
            configuration.concurrency = concurrency
            return configuration
        }
        self.init(
            loop: try WorkerLoop(configurations: configurations, drainTimeout: drainTimeout, logger: logger),
            handler: handler)
    }

    /// Runs until the loop exits: after a graceful shutdown or cancellation, or with ``BrokerUnavailable`` when it
    /// gave up on the broker.
    public func run() async throws {
        let loop = self.loop
        let handler = self.handler
        await withTaskCancellationOrGracefulShutdownHandler {
            switch handler {
            case .inline(let inline):
                // The loop runs every task itself and yields nothing; the stream ends when it exits.
                for await _ in loop.start(inline: inline) {}
            case .concurrent(let handler):
                let signals = CancelSignals()
                await withTaskGroup(of: Void.self) { group in
                    for await event in loop.start() {
                        switch event {
                        case .run(let ticket, let task):
                            let signal = signals.register(ticket)
                            group.addTask {
                                await Self.execute(handler, task, cancel: signal) {
                                    loop.taskFinished(ticket, result: $0)
                                }
                                signals.remove(ticket)
                            }
                        case .cancel(let ticket):
                            signals.fire(ticket)
                        }
                    }
                    group.cancelAll()
                }
            }
        } onCancelOrGracefulShutdown: {
            loop.requestDrain()
        }
        try await loop.finished()
    }

    /// How long past a task's deadline the worker waits before cancelling it itself. The broker ends the attempt at
    /// the deadline and its verdict (`timeout`, retried elsewhere) should be the one recorded; the worker's cancel is
    /// the safety net that stops the runaway work.
    static let deadlineGrace: Duration = .milliseconds(250)

    /// Runs `handler` within the task's timeout, when the broker gave one, and calls `report` exactly once with the
    /// outcome. A grace period past the timeout the handler is cancelled (an `--exec` child is killed with its
    /// process group) and `report` gets the `timeout` failure at once: a handler that ignores cancellation and never
    /// returns keeps running until it does, but no longer holds its task's slot, and its late result is dropped.
    /// When `signal` fires (the broker cancelled the task) the handler is cancelled the same way, at once, and
    /// `report` gets the `cancelled` failure.
    static func execute(
        _ handler: @escaping TaskHandler,
        _ task: WorkerTask,
        cancel signal: CancelSignal? = nil,
        report: @escaping @Sendable (Result<[UInt8], TaskFailure>) -> Void
    ) async {
        guard task.timeout != nil || signal != nil else {
            report(await run(handler, task))
            return
        }
        let once = ReportOnce(report)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { once.report(await run(handler, task)) }
            if let signal {
                group.addTask {
                    if await signal.wait() {
                        once.report(.failure(TaskFailure("cancelled by the broker", isRetryable: false)))
                    }
                }
            }
            if let timeout = task.timeout {
                group.addTask {
                    do {
                        try await Task.sleep(for: timeout + deadlineGrace)
                    } catch {
                        return
                    }
                    let after = DurationParser.format(timeout)
                    once.report(.failure(TaskFailure("timeout: cancelled by the worker after \(after)")))
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Runs `handler`, turning whatever it throws into a ``TaskFailure``.
    private static func run(_ handler: TaskHandler, _ task: WorkerTask) async -> Result<[UInt8], TaskFailure> {
        do {
            return .success(try await handler(task))
        } catch let failure as TaskFailure {
            return .failure(failure)
        } catch {
            return .failure(TaskFailure(String(describing: error)))
        }
    }
}

/// Passes on the first outcome it is given and drops the rest: the handler's, the deadline's and the cancel's race.
private final class ReportOnce: Sendable {
    private let reported = Mutex(false)
    private let deliver: @Sendable (Result<[UInt8], TaskFailure>) -> Void

    init(_ deliver: @escaping @Sendable (Result<[UInt8], TaskFailure>) -> Void) {
        self.deliver = deliver
    }

    /// Reports `outcome` unless an outcome was reported already.
    func report(_ outcome: Result<[UInt8], TaskFailure>) {
        let isFirst = reported.withLock { reported in
            defer { reported = true }
            return !reported
        }
        if isFirst {
            deliver(outcome)
        }
    }
}
