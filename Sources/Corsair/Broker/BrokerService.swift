public import ServiceLifecycle

/// Runs a ``BrokerLoop`` as a ServiceLifecycle service: started by `run()`, stopped by graceful shutdown or
/// cancellation.
public struct BrokerService: Service {
    private let loop: BrokerLoop
    private let onReady: @Sendable ([String]) throws -> Void

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - loop: the broker loop to run.
    ///   - onReady: called with the bound endpoints once the broker listens (the executable writes
    ///     `--endpoint-file` here). An error it throws stops the broker.
    public init(loop: BrokerLoop, onReady: @escaping @Sendable ([String]) throws -> Void = { _ in }) {
        self.loop = loop
        self.onReady = onReady
    }

    /// Runs until graceful shutdown or cancellation, returning only after the loop has closed its socket.
    public func run() async throws {
        let endpoints = try await loop.start()
        do {
            try onReady(endpoints)
        } catch {
            loop.requestStop()
            try? await loop.finished()
            throw error
        }
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await loop.finished()
        } onCancelOrGracefulShutdown: {
            loop.requestStop()
        }
    }
}
