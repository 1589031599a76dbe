public import ServiceLifecycle

/// Runs a ``WorkerLoop`` and its handler as a ServiceLifecycle service.
///
/// Each task runs as a child task of the service, so none outlives it. Graceful shutdown drains the loop: it stops
/// taking tasks, waits for those in flight (up to its drain timeout), sends DISCONNECT and exits.
public struct WorkerService: Service {
    private let loop: WorkerLoop
    private let handler: TaskHandler

    /// Creates the service.
    public init(loop: WorkerLoop, handler: @escaping TaskHandler) {
        self.loop = loop
        self.handler = handler
    }

    /// Runs until the loop exits: after a graceful shutdown, or with ``WorkerLoop/Failure`` when it gave up.
    public func run() async throws {
        let events = loop.start()
        let loop = self.loop
        let handler = self.handler
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for await event in events {
                    switch event {
                    case .run(let ticket, let task):
                        group.addTask {
                            loop.taskFinished(ticket, result: await Self.execute(handler, task))
                        }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            loop.requestDrain()
        }
        try await loop.finished()
    }

    /// Runs `handler`, turning whatever it throws into a ``TaskFailure``.
    static func execute(_ handler: TaskHandler, _ task: WorkerTask) async -> Result<[UInt8], TaskFailure> {
        do {
            return .success(try await handler(task))
        } catch let failure as TaskFailure {
            return .failure(failure)
        } catch {
            return .failure(TaskFailure(String(describing: error)))
        }
    }
}
